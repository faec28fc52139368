import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import type { HostConfig } from './HostConfig.js';
import { REDIS_PLUGIN_MODULE } from './environmentOverrides.js';
import { validateHostConfig } from './validateHostConfig.js';

/**
 * The bytes of a configuration file, not yet parsed.
 * @since 6.0.0
 */
export interface HostConfigFile {
  /** Absolute path of the file. */
  readonly path: string;
  /** Folder of the file: relative plugin specifiers resolve against it. */
  readonly baseDir: string;
  /** The file's text. */
  readonly text: string;
  /** SHA-256 of the file's bytes, to tell a real change from a touch. */
  readonly digest: string;
}

/**
 * A configuration read from a file.
 * @since 6.0.0
 */
export interface LoadedHostConfig extends Omit<HostConfigFile, 'text'> {
  readonly config: HostConfig;
}

/**
 * Values from outside the file that take part in its validation.
 * @since 6.0.0
 */
export interface HostConfigOverrides {
  /**
   * Replaces `admin.token` before the file is validated (the CLI passes `DW_ADMIN_TOKEN`), so
   * it counts wherever a token is required, e.g. for a non-loopback `admin.host`.
   */
  readonly adminToken?: string;
  /** Replaces `admin.port` (the CLI passes `DW_ADMIN_PORT`, see `hostConfigOverridesFromEnv`). @since 6.1.0 */
  readonly adminPort?: number;
  /**
   * Replaces `options.url` of every `@datawarehouse/plugin-federation-redis` entry (the CLI
   * passes `DW_REDIS_URL`). @since 6.1.0
   */
  readonly redisUrl?: string;
}

/**
 * Reads a configuration file's text and digest.
 * @throws {@link InvalidConfigurationError} with field `$` and `source` = the path when the
 * file cannot be read.
 */
export async function readHostConfigFile(path: string): Promise<HostConfigFile> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new InvalidConfigurationError(
      '$',
      absolute,
      `a readable file (${typeof code === 'string' ? code : String(e)})`,
      absolute,
    );
  }
  return { path: absolute, baseDir: dirname(absolute), text, digest: createHash('sha256').update(text).digest('hex') };
}

/**
 * Reads, parses and validates a JSON configuration file, with `overrides` applied before
 * validation.
 * @throws {@link InvalidConfigurationError} with `source` = the file path: field `$` when the
 * file cannot be read or is not JSON, otherwise the first bad field.
 * @example
 * ```ts
 * const { config, baseDir } = await loadHostConfig('dw.config.json', { adminToken: process.env.DW_ADMIN_TOKEN });
 * ```
 */
export async function loadHostConfig(path: string, overrides: HostConfigOverrides = {}): Promise<LoadedHostConfig> {
  const { text, ...file } = await readHostConfigFile(path);
  return { ...file, config: parseHostConfig(text, file.path, overrides) };
}

/**
 * Parses and validates configuration text, with `overrides` applied before validation.
 * @throws {@link InvalidConfigurationError} with `source`; field `$` for malformed JSON. An
 * invalid `adminToken` is reported as coming from the environment.
 */
export function parseHostConfig(text: string, source: string, overrides: HostConfigOverrides = {}): HostConfig {
  let parsed: unknown;
  try {
    // A UTF-8 BOM is legal in a file but not in JSON.parse.
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new InvalidConfigurationError('$', excerpt(text), `valid JSON (${(e as Error).message})`, source);
  }
  const token = overrides.adminToken;
  if (!isPlainObject(parsed)) return validateHostConfig(parsed, source);
  const withEnv = applyOverrides(parsed, overrides);
  if (token === undefined) return validateHostConfig(withEnv, source);
  try {
    return validateHostConfig(withEnv, source);
  } catch (e) {
    if (e instanceof InvalidConfigurationError && e.field === 'admin.token') {
      throw new InvalidConfigurationError(
        e.field,
        e.value,
        e.expected,
        `${source} with the admin token from the environment`,
      );
    }
    throw e;
  }
}

/** `parsed` with the overrides in place; a section of the wrong shape is left for the validator to name. */
function applyOverrides(parsed: Record<string, unknown>, overrides: HostConfigOverrides): Record<string, unknown> {
  const out = { ...parsed };
  const { adminToken, adminPort, redisUrl } = overrides;
  if ((adminToken !== undefined || adminPort !== undefined) && (out.admin === undefined || isPlainObject(out.admin))) {
    out.admin = {
      ...(out.admin as Record<string, unknown> | undefined),
      ...(adminToken !== undefined && { token: adminToken }),
      ...(adminPort !== undefined && { port: adminPort }),
    };
  }
  if (redisUrl !== undefined && Array.isArray(out.plugins)) {
    out.plugins = out.plugins.map((entry: unknown) =>
      isPlainObject(entry) &&
      entry.module === REDIS_PLUGIN_MODULE &&
      (entry.options === undefined || isPlainObject(entry.options))
        ? { ...entry, options: { ...(entry.options as Record<string, unknown> | undefined), url: redisUrl } }
        : entry,
    );
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
