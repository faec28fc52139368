// Test-only helpers, exposed as the source-level subpath `@datawarehouse/sdk/testing`;
// excluded from the build so they never ship in dist.
export { errorOf } from './errorOf.js';
export { configErrorOf } from './configErrorOf.js';
export { requireConfigError } from './requireConfigError.js';
export { fieldOf } from './fieldOf.js';
export { deferred } from './deferred.js';
export type { Deferred } from './deferred.js';
