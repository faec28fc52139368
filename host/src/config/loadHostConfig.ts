import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidConfigurationError } from '@datawarehouse/sdk';
import type { HostConfig } from './HostConfig.js';
import { validateHostConfig } from './validateHostConfig.js';

/**
 * A configuration read from a file.
 * @since 6.0.0
 */
export interface LoadedHostConfig {
  readonly config: HostConfig;
  /** Absolute path of the file. */
  readonly path: string;
  /** Folder of the file: relative plugin specifiers resolve against it. */
  readonly baseDir: string;
  /** SHA-256 of the file's bytes, to tell a real change from a touch. */
  readonly digest: string;
}

/**
 * Reads, parses and validates a JSON configuration file.
 * @throws {@link InvalidConfigurationError} with `source` = the file path: field `$` when the
 * file cannot be read or is not JSON, otherwise the first bad field.
 * @example
 * ```ts
 * const { config, baseDir } = await loadHostConfig('dw.config.json');
 * ```
 */
export async function loadHostConfig(path: string): Promise<LoadedHostConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new InvalidConfigurationError('$', absolute, `a readable file (${typeof code === 'string' ? code : String(e)})`, absolute);
  }
  return {
    config: parseHostConfig(text, absolute),
    path: absolute,
    baseDir: dirname(absolute),
    digest: createHash('sha256').update(text).digest('hex'),
  };
}

/**
 * Parses and validates configuration text.
 * @throws {@link InvalidConfigurationError} with `source`; field `$` for malformed JSON.
 */
export function parseHostConfig(text: string, source: string): HostConfig {
  let parsed: unknown;
  try {
    // A UTF-8 BOM is legal in a file but not in JSON.parse.
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new InvalidConfigurationError('$', excerpt(text), `valid JSON (${(e as Error).message})`, source);
  }
  return validateHostConfig(parsed, source);
}

function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
