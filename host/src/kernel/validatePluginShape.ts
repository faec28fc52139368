import { parseSemver } from '@datawarehouse/sdk';

const PLUGIN_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/i;

/**
 * Checks that `value` looks like an `IPlugin`; returns what is wrong, or `undefined`.
 * The SDK version's compatibility is checked separately.
 */
export function validatePluginShape(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null)
    return `the factory returned ${value === null ? 'null' : typeof value}, not a plugin object`;
  const p = value as Record<string, unknown>;
  if (typeof p.id !== 'string' || !PLUGIN_ID.test(p.id)) {
    return `'id' must be a string matching ${PLUGIN_ID}, got ${JSON.stringify(p.id)}`;
  }
  for (const key of ['version', 'sdkVersion'] as const) {
    if (typeof p[key] !== 'string' || parseSemver(p[key]) === undefined) {
      return `plugin '${p.id}': '${key}' must be a semver string, got ${JSON.stringify(p[key])}`;
    }
  }
  if (typeof p.initializeAsync !== 'function') return `plugin '${p.id}': 'initializeAsync' must be a function`;
  for (const key of ['startAsync', 'stopAsync'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'function')
      return `plugin '${p.id}': '${key}' must be a function when present`;
  }
  const deps = p.dependencies;
  if (deps !== undefined && (!Array.isArray(deps) || !deps.every((d) => typeof d === 'string' && PLUGIN_ID.test(d)))) {
    return `plugin '${p.id}': 'dependencies' must be an array of plugin ids`;
  }
  return undefined;
}
