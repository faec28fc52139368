/**
 * Internals of @datawarehouse/plugin-demo-traffic: building blocks its public API is made of, exported for the other
 * packages of this workspace and for tests. Not covered by semver: they may change in any release.
 * @packageDocumentation
 */
export * from './OutcomeCounter.js';
export * from './SimulatedDownstream.js';
