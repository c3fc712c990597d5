// Moved to the shared UI library (the workspace uses it too).
export { Page, QueryState } from '../shared/Page.js';
