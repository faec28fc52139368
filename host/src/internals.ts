/**
 * Internals of @datawarehouse/host: building blocks its public API is made of, exported for the other
 * packages of this workspace and for tests. Not covered by semver: they may change in any release.
 * @packageDocumentation
 */
export * from './kernel/stopPluginAsync.js';
export * from './kernel/PluginLoader.js';
export * from './kernel/PluginRecord.js';
export * from './kernel/orderPlugins.js';
export * from './registry/LimitsTransaction.js';
export * from './registry/ServiceRegistry.js';
export * from './registry/validateLimitsPatch.js';
export * from './config/hostConfigKeys.js';
export * from './registry/limitsJson.js';
export * from './admin/HttpError.js';
export * from './admin/isLoopbackAddress.js';
export * from './status/formatStatusLines.js';
export * from './logging/scopedLogger.js';
export * from './cli/parseCliArgs.js';
