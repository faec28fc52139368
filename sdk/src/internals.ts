/**
 * Internals of `@datawarehouse/sdk`: the configuration validators every package builds its
 * option checks with, and the time-bucket ring under every sliding window. Exported for the
 * workspace's packages and tests; not covered by semver.
 * @packageDocumentation
 */
export * from './config/validate.js';
export * from './time/TimeBucketRing.js';
