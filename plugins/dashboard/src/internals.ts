/**
 * Internals of @datawarehouse/plugin-dashboard: building blocks its public API is made of, exported for the other
 * packages of this workspace and for tests. Not covered by semver: they may change in any release.
 * @packageDocumentation
 */
export * from './DashboardAssets.js';
export * from './DashboardStream.js';
export * from './SseParser.js';
export * from './TransitionLog.js';
export * from './computeDelta.js';
export * from './reportDigest.js';
export * from './sseFrame.js';
