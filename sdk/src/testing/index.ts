// Test helpers, published as the subpath `@datawarehouse/sdk/testing` (built into dist/testing).
export { errorOf } from './errorOf.js';
export { configErrorOf } from './configErrorOf.js';
export { requireConfigError } from './requireConfigError.js';
export { fieldOf } from './fieldOf.js';
export { deferred } from './deferred.js';
export type { Deferred } from './deferred.js';
export type { InvalidConfigurationError } from '../errors/errors.js';
export type { DataWarehouseError } from '../errors/DataWarehouseError.js';
