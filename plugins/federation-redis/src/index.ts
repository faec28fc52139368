export * from './RedisFederationPlugin.js';
export { createPlugin as default } from './RedisFederationPlugin.js';
export * from './RedisFederationOptions.js';
export * from './RedisMessageBus.js';
export * from './FederationSubsystem.js';
export * from './WireCodec.js';
export * from './reconnectDelay.js';
export * from './ConnectionStateTracker.js';
export * from './RedisMessageBusStatistics.js';
