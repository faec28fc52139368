export * from './DashboardOptions.js';
export * from './DashboardPlugin.js';
export { createPlugin, createPlugin as default } from './createPlugin.js';
