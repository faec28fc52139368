/** The SDK version this package implements. @since 6.0.0 */
export const SDK_VERSION = '6.0.0';

/**
 * Compatibility metadata attached to a public class by {@link SdkCompatibility}.
 * @since 6.0.0
 */
export interface SdkCompatibilityInfo {
  /** SDK version the class was written against (semver). */
  readonly sdkVersion: string;
  /** Version in which the class was deprecated, if any. */
  readonly deprecatedVersion?: string;
  /** What to use instead when deprecated. */
  readonly replacement?: string;
  /** Free-form notes. */
  readonly notes?: string;
}

/** Options of {@link SdkCompatibility}. @since 6.0.0 */
export type SdkCompatibilityOptions = Omit<SdkCompatibilityInfo, 'sdkVersion'>;

// A registered symbol, so duplicate copies of the SDK read each other's metadata.
const COMPAT_KEY = Symbol.for('datawarehouse.sdk.compatibility');

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

/**
 * Class decorator recording which SDK version a public class targets. The host reads it at
 * load time (see {@link getSdkCompatibility}) and refuses plugins built for another major.
 *
 * @throws TypeError when `version` is not a semver string.
 * @example
 * ```ts
 * @SdkCompatibility('6.0.0', { notes: 'thread-safe' })
 * export class MyPlugin implements IPlugin { ... }
 * ```
 */
export function SdkCompatibility(version: string, options: SdkCompatibilityOptions = {}) {
  if (typeof version !== 'string' || !SEMVER.test(version)) {
    throw new TypeError(`SdkCompatibility: version must be a semver string, got ${JSON.stringify(version)}`);
  }
  const info: SdkCompatibilityInfo = Object.freeze({ sdkVersion: version, ...options });
  return <T extends object>(target: T): T => {
    Object.defineProperty(target, COMPAT_KEY, { value: info, enumerable: false, configurable: true });
    return target;
  };
}

/**
 * Reads the metadata written by {@link SdkCompatibility} on a class (or on the class of an
 * instance); `undefined` when the class was not decorated.
 */
export function getSdkCompatibility(target: unknown): SdkCompatibilityInfo | undefined {
  if (target === null || target === undefined) return undefined;
  const cls = typeof target === 'function' ? target : (target as { constructor?: unknown }).constructor;
  if (typeof cls !== 'function') return undefined;
  // Own property only: a subclass without the decorator must not inherit its parent's claim.
  const desc = Object.getOwnPropertyDescriptor(cls, COMPAT_KEY);
  return desc?.value as SdkCompatibilityInfo | undefined;
}

/** Parses `major.minor.patch`; `undefined` when not semver. */
export function parseSemver(version: string): { major: number; minor: number; patch: number } | undefined {
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * True when something built for `required` can run on an SDK of version `provided`:
 * same major, and `provided` at least `required`.
 */
export function isSdkVersionCompatible(required: string, provided: string = SDK_VERSION): boolean {
  const r = parseSemver(required);
  const p = parseSemver(provided);
  if (!r || !p) return false;
  if (r.major !== p.major) return false;
  if (p.minor !== r.minor) return p.minor > r.minor;
  return p.patch >= r.patch;
}
