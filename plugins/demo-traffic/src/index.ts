export * from './DemoTrafficOptions.js';
export * from './DownstreamError.js';
export * from './DemoTrafficPlugin.js';
export { createPlugin, createPlugin as default } from './createPlugin.js';
export type { DownstreamStatistics } from './SimulatedDownstream.js';
