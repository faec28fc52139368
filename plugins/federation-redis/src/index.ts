export * from './RedisFederationPlugin.js';
export { createPlugin as default } from './RedisFederationPlugin.js';
export * from './RedisFederationOptions.js';
export * from './RedisMessageBus.js';
export * from './WireCodec.js';
export * from './RedisMessageBusStatistics.js';
export type { ConnectionStateSnapshot } from './ConnectionStateTracker.js';
