// Moved to the shared UI library (the workspace uses it too).
export { TrendChart } from '../shared/TrendChart.js';
