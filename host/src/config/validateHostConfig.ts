import { InvalidConfigurationError } from '@datawarehouse/sdk';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateInteger,
  validateObject,
  validateString,
} from '@datawarehouse/sdk/internals';
import type { ScalingLimits } from '@datawarehouse/sdk';
import { isLoopbackAddress } from '../admin/isLoopbackAddress.js';
import { rejectReservedKey } from '../registry/rejectReservedKey.js';
import { validateLimitsPatch } from '../registry/validateLimitsPatch.js';
import { cloneJsonValue } from './cloneJsonValue.js';
import { HOST_CONFIG_DEFAULTS } from './HostConfig.js';
import { HOST_CONFIG_KEYS } from './hostConfigKeys.js';
import type { AdminConfig, HostConfig, PluginEntry, ProbesConfig } from './HostConfig.js';

const { top: TOP_KEYS, admin: ADMIN_KEYS, probes: PROBES_KEYS, plugin: PLUGIN_KEYS } = HOST_CONFIG_KEYS;
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_PLUGINS = 64;
const MIN_TOKEN_LENGTH = 16;
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/**
 * Validates a parsed configuration object into a frozen {@link HostConfig}, filling the
 * documented defaults of absent optional fields. Unknown keys are rejected so a typo is
 * never silently ignored.
 *
 * @param source - where the object came from (the file path); carried by every error.
 * @throws {@link InvalidConfigurationError} naming the first bad field and `source`.
 * @example
 * ```ts
 * const config = validateHostConfig({ plugins: [{ module: '@datawarehouse/plugin-demo-traffic' }] }, 'inline');
 * ```
 */
export function validateHostConfig(value: unknown, source?: string): HostConfig {
  try {
    return validate(value, source);
  } catch (e) {
    if (e instanceof InvalidConfigurationError && e.source === undefined && source !== undefined) {
      throw new InvalidConfigurationError(e.field, e.value, e.expected, source);
    }
    throw e;
  }
}

function validate(value: unknown, source: string | undefined): HostConfig {
  const obj = validateObject('$', value);
  rejectUnknownKeys('', obj, TOP_KEYS);
  const nodeId =
    obj.nodeId === undefined ? HOST_CONFIG_DEFAULTS.nodeId : validateString('nodeId', obj.nodeId, 64, NODE_ID);
  const statusIntervalMs =
    obj.statusIntervalMs === undefined
      ? HOST_CONFIG_DEFAULTS.statusIntervalMs
      : validateInteger('statusIntervalMs', obj.statusIntervalMs, 0, 86_400_000);
  if (statusIntervalMs !== 0 && statusIntervalMs < 100) {
    throw new InvalidConfigurationError('statusIntervalMs', statusIntervalMs, '0 (off) or an integer >= 100');
  }
  const shutdownTimeoutMs =
    obj.shutdownTimeoutMs === undefined
      ? HOST_CONFIG_DEFAULTS.shutdownTimeoutMs
      : validateInteger('shutdownTimeoutMs', obj.shutdownTimeoutMs, 1, 600_000);
  const startupTimeoutMs =
    obj.startupTimeoutMs === undefined
      ? HOST_CONFIG_DEFAULTS.startupTimeoutMs
      : validateInteger('startupTimeoutMs', obj.startupTimeoutMs, 1, 600_000);
  const drainDelayMs =
    obj.drainDelayMs === undefined
      ? HOST_CONFIG_DEFAULTS.drainDelayMs
      : validateInteger('drainDelayMs', obj.drainDelayMs, 0, 600_000);
  return Object.freeze({
    nodeId,
    admin: validateAdmin(obj.admin),
    statusIntervalMs,
    shutdownTimeoutMs,
    startupTimeoutMs,
    drainDelayMs,
    plugins: validatePlugins(obj.plugins),
    subsystems: validateSubsystems(obj.subsystems, source),
  });
}

function validateAdmin(value: unknown): AdminConfig {
  const d = HOST_CONFIG_DEFAULTS.admin;
  if (value === undefined) return d;
  const a = validateObject('admin', value);
  rejectUnknownKeys('admin', a, ADMIN_KEYS);
  const enabled = a.enabled === undefined ? d.enabled : validateBoolean('admin.enabled', a.enabled);
  const host = a.host === undefined ? d.host : validateString('admin.host', a.host, 255, /^[^\s/]+$/);
  const port = a.port === undefined ? d.port : validateInteger('admin.port', a.port, 0, 65_535);
  let token: string | null = d.token;
  if (a.token !== undefined && a.token !== null) {
    // Checked by hand so that the error never echoes the secret.
    if (
      typeof a.token !== 'string' ||
      a.token.length < MIN_TOKEN_LENGTH ||
      a.token.length > 1024 ||
      !TOKEN_CHARS.test(a.token)
    ) {
      throw new InvalidConfigurationError(
        'admin.token',
        typeof a.token === 'string' ? '<redacted>' : a.token,
        `null or a string of ${MIN_TOKEN_LENGTH} to 1024 printable ASCII characters without spaces`,
      );
    }
    token = a.token;
  }
  const maxBodyBytes =
    a.maxBodyBytes === undefined
      ? d.maxBodyBytes
      : validateInteger('admin.maxBodyBytes', a.maxBodyBytes, 16, 16 * 1024 * 1024);
  if (enabled && token === null && !isLoopbackAddress(host)) {
    throw new InvalidConfigurationError(
      'admin.token',
      null,
      `a bearer token, because admin.host '${host}' is not a loopback address`,
    );
  }
  return Object.freeze({ enabled, host, port, token, maxBodyBytes, probes: validateProbes(a.probes) });
}

function validateProbes(value: unknown): ProbesConfig {
  const d = HOST_CONFIG_DEFAULTS.admin.probes;
  if (value === undefined) return d;
  const p = validateObject('admin.probes', value);
  rejectUnknownKeys('admin.probes', p, PROBES_KEYS);
  return Object.freeze({
    public: p.public === undefined ? d.public : validateBoolean('admin.probes.public', p.public),
    requireBus: p.requireBus === undefined ? d.requireBus : validateBoolean('admin.probes.requireBus', p.requireBus),
  });
}

function validatePlugins(value: unknown): readonly PluginEntry[] {
  if (!Array.isArray(value)) throw new InvalidConfigurationError('plugins', value, 'an array of plugin entries');
  if (value.length > MAX_PLUGINS) {
    throw new InvalidConfigurationError('plugins', `${value.length} entries`, `at most ${MAX_PLUGINS} entries`);
  }
  return Object.freeze(
    value.map((raw: unknown, i): PluginEntry => {
      const field = `plugins[${i}]`;
      const entry = validateObject(field, raw);
      rejectUnknownKeys(field, entry, PLUGIN_KEYS);
      const module = validateString(`${field}.module`, entry.module, 1024);
      const options = entry.options === undefined ? {} : validateObject(`${field}.options`, entry.options);
      const enabled = entry.enabled === undefined ? true : validateBoolean(`${field}.enabled`, entry.enabled);
      return Object.freeze({
        module,
        options: deepFreeze(cloneJsonValue(`${field}.options`, options) as Record<string, unknown>),
        enabled,
      });
    }),
  );
}

function validateSubsystems(
  value: unknown,
  source: string | undefined,
): Readonly<Record<string, Partial<ScalingLimits>>> {
  if (value === undefined) return Object.freeze({});
  const obj = validateObject('subsystems', value);
  const out: Record<string, Partial<ScalingLimits>> = {};
  for (const name of Object.keys(obj)) {
    validateString('subsystems key', name, 128);
    rejectReservedKey('subsystems', name);
    const limits = validateLimitsPatch(`subsystems.${name}`, obj[name], source);
    // Limits may be unbounded: `Infinity` (in code) or "Infinity" (in JSON, as the admin API writes it).
    out[name] = deepFreeze(cloneJsonValue(`subsystems.${name}`, limits, { infinity: true }) as Partial<ScalingLimits>);
  }
  return Object.freeze(out);
}

/** Freezes a JSON tree in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
