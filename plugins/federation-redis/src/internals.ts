/**
 * Internals of @datawarehouse/plugin-federation-redis: building blocks its public API is made of, exported for the other
 * packages of this workspace and for tests. Not covered by semver: they may change in any release.
 * @packageDocumentation
 */
export * from './FederationSubsystem.js';
export * from './reconnectDelay.js';
export * from './ConnectionStateTracker.js';
