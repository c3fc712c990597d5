// Moved to the shared UI library (the workspace uses it too).
export * from '../shared/results.js';
