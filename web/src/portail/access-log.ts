// Moved to the shared UI library (the workspace's audit search uses it too).
export * from '../shared/access-log.js';
