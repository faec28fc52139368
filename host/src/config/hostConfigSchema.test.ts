import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isInvalidConfigurationError } from '@datawarehouse/sdk';
import { LIMIT_KEYS, NUMERIC_MIN, STRATEGY_KEYS } from '../registry/validateLimitsPatch.js';
import { HOST_CONFIG_DEFAULTS } from './HostConfig.js';
import { HOST_CONFIG_KEYS } from './hostConfigKeys.js';
import { parseHostConfig } from './loadHostConfig.js';
import { validateHostConfig } from './validateHostConfig.js';

// The shipped JSON Schema (schema/host-config.schema.json) against the validator it describes:
// the same keys in every section, the same defaults, and the same bounds, tried at both edges.

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = resolve(here, '..', '..', 'schema', 'host-config.schema.json');
const repo = resolve(here, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON Schema document, walked structurally
const schema: any = JSON.parse(readFileSync(schemaPath, 'utf8'));
const admin = schema.properties.admin;
const limits = schema.properties.subsystems.additionalProperties;

/** The configuration with `value` at the dotted `path` (under `admin`, `subsystems.s`…). */
function configWith(path: string, value: unknown): Record<string, unknown> {
  const config: Record<string, unknown> = { plugins: [] };
  const keys = path.split('.');
  let node = config;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return config;
}

function fieldRefused(path: string, value: unknown): string | undefined {
  try {
    validateHostConfig(configWith(path, value));
    return undefined;
  } catch (e) {
    expect(isInvalidConfigurationError(e), `${path}=${JSON.stringify(value)}`).toBe(true);
    return (e as { field: string }).field;
  }
}

describe('host-config.schema.json', () => {
  it('lists exactly the keys the validator accepts, and refuses others in every section', () => {
    const keys = (s: { properties: object }) => Object.keys(s.properties).sort();
    expect(keys(schema)).toEqual([...HOST_CONFIG_KEYS.top].sort());
    expect(keys(admin)).toEqual([...HOST_CONFIG_KEYS.admin].sort());
    expect(keys(admin.properties.probes)).toEqual([...HOST_CONFIG_KEYS.probes].sort());
    expect(keys(schema.properties.plugins.items)).toEqual([...HOST_CONFIG_KEYS.plugin].sort());
    expect(keys(limits)).toEqual([...LIMIT_KEYS].sort());
    expect(keys(limits.properties.strategies.additionalProperties)).toEqual([...STRATEGY_KEYS].sort());
    for (const s of [schema, admin, admin.properties.probes, schema.properties.plugins.items, limits]) {
      expect(s.additionalProperties).toBe(false);
    }
    expect(schema.required).toEqual(['plugins']);
    expect(schema.properties.plugins.items.required).toEqual(['module']);
  });

  it('states the defaults validateHostConfig fills in', () => {
    const filled = validateHostConfig({ plugins: [] });
    for (const key of [
      'nodeId',
      'statusIntervalMs',
      'shutdownTimeoutMs',
      'startupTimeoutMs',
      'drainDelayMs',
    ] as const) {
      expect(schema.properties[key].default, key).toEqual(filled[key]);
    }
    for (const [key, value] of Object.entries(HOST_CONFIG_DEFAULTS.admin)) {
      if (key === 'probes') continue;
      expect(admin.properties[key].default, `admin.${key}`).toEqual(value);
    }
    for (const [key, value] of Object.entries(HOST_CONFIG_DEFAULTS.admin.probes)) {
      expect(admin.properties.probes.properties[key].default, `admin.probes.${key}`).toEqual(value);
    }
  });

  it('has the validator’s integer bounds: both edges accepted, one past each refused naming the field', () => {
    const integers: [string, { minimum: number; maximum?: number }][] = [
      ['admin.port', admin.properties.port],
      ['admin.maxBodyBytes', admin.properties.maxBodyBytes],
      ['shutdownTimeoutMs', schema.properties.shutdownTimeoutMs],
      ['startupTimeoutMs', schema.properties.startupTimeoutMs],
      ['drainDelayMs', schema.properties.drainDelayMs],
      ['statusIntervalMs', schema.properties.statusIntervalMs.anyOf[1]],
      ...Object.keys(NUMERIC_MIN).map(
        (k) => [`subsystems.s.${k}`, limits.properties[k]] as [string, { minimum: number }],
      ),
    ];
    for (const [path, s] of integers) {
      expect(fieldRefused(path, s.minimum), path).toBeUndefined();
      expect(fieldRefused(path, s.minimum - 1), path).toBe(path);
      expect(fieldRefused(path, s.minimum + 0.5), path).toBe(path);
      if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) {
        expect(fieldRefused(path, s.maximum), path).toBeUndefined();
        expect(fieldRefused(path, s.maximum + 1), path).toBe(path);
      }
    }
    expect(schema.properties.statusIntervalMs.anyOf[0]).toEqual({ const: 0 });
    expect(fieldRefused('statusIntervalMs', 0)).toBeUndefined();
  });

  it('has the validator’s string rules (lengths and patterns) and types', () => {
    const nodeId = schema.properties.nodeId;
    const pattern = new RegExp(nodeId.pattern);
    for (const id of [
      'n',
      'node-1',
      'a.b_c',
      '-x',
      'a b',
      'x'.repeat(nodeId.maxLength),
      'x'.repeat(nodeId.maxLength + 1),
    ]) {
      const bySchema = pattern.test(id) && id.length <= nodeId.maxLength;
      expect(fieldRefused('nodeId', id) === undefined, id).toBe(bySchema);
    }
    const token = admin.properties.token.anyOf[1];
    for (const t of [
      'a'.repeat(token.minLength - 1),
      'a'.repeat(token.minLength),
      `${'a'.repeat(20)} b`,
      'é'.repeat(20),
    ]) {
      const bySchema = t.length >= token.minLength && new RegExp(token.pattern).test(t);
      expect(fieldRefused('admin.token', t) === undefined, t).toBe(bySchema);
    }
    expect(fieldRefused('admin.token', null)).toBeUndefined();
    expect(fieldRefused('admin.host', 'a/b')).toBe('admin.host');
    expect(new RegExp(admin.properties.host.pattern).test('a/b')).toBe(false);
    for (const path of ['admin.enabled', 'admin.probes.public', 'admin.probes.requireBus']) {
      expect(fieldRefused(path, 'yes')).toBe(path);
    }
    expect(schema.properties.plugins.maxItems).toBe(64);
    expect(() => validateHostConfig({ plugins: Array.from({ length: 65 }, () => ({ module: 'x' })) })).toThrow();
  });

  it('is named by $schema in dw.config.json and the example configurations, which validate', () => {
    const files = [join(repo, 'dw.config.json'), ...jsonFiles(join(repo, 'examples'))].filter((f) => {
      const json = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
      return Array.isArray(json.plugins);
    });
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      expect(String(json.$schema).replace(/^\.\//, ''), relative(repo, file)).toBe(
        relative(dirname(file), schemaPath).split('\\').join('/'),
      );
      // The compose files bind 0.0.0.0 and take their token from DW_ADMIN_TOKEN, as the CLI would.
      expect(() =>
        parseHostConfig(readFileSync(file, 'utf8'), file, { adminToken: 'token-from-the-environment' }),
      ).not.toThrow();
    }
  });
});

function jsonFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') && name !== 'package.json' ? [path] : [];
  });
}
