import { InvalidConfigurationError } from '@datawarehouse/sdk';
import type { HostConfigOverrides } from './loadHostConfig.js';

/** Module of the Redis federation plugin, whose `options.url` `DW_REDIS_URL` replaces. @since 6.1.0 */
export const REDIS_PLUGIN_MODULE = '@datawarehouse/plugin-federation-redis';

const SOURCE = 'environment';

/**
 * The configuration overrides the environment carries, validated:
 * - `DW_ADMIN_TOKEN` → `admin.token` (checked with the file, never echoed);
 * - `DW_ADMIN_PORT` → `admin.port`, an integer 0..65535;
 * - `DW_REDIS_URL` → `options.url` of every `@datawarehouse/plugin-federation-redis` entry, a
 *   `redis://` or `rediss://` URL.
 *
 * An empty variable counts as unset.
 * @throws {@link InvalidConfigurationError} whose field is the variable's name and whose source
 * is `environment`, for a malformed value (the Redis URL's password is not echoed).
 * @example
 * ```ts
 * const host = await HostRuntime.startAsync({ configPath: 'dw.config.json', ...hostConfigOverridesFromEnv(process.env) });
 * ```
 * @since 6.1.0
 */
export function hostConfigOverridesFromEnv(env: Readonly<Record<string, string | undefined>>): HostConfigOverrides {
  const token = nonEmpty(env.DW_ADMIN_TOKEN);
  const port = nonEmpty(env.DW_ADMIN_PORT);
  const redis = nonEmpty(env.DW_REDIS_URL);
  return {
    ...(token !== undefined && { adminToken: token }),
    ...(port !== undefined && { adminPort: parsePort(port) }),
    ...(redis !== undefined && { redisUrl: parseRedisUrl(redis) }),
  };
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new InvalidConfigurationError('DW_ADMIN_PORT', text.slice(0, 40), 'an integer from 0 to 65535', SOURCE);
  }
  return port;
}

function parseRedisUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new InvalidConfigurationError(
      'DW_REDIS_URL',
      redact(text),
      'a redis://[user[:password]@]host[:port][/db] or rediss:// URL',
      SOURCE,
    );
  }
  return text;
}

/** The value as an error may show it: a password in it is replaced. */
function redact(text: string): string {
  const shown = text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.length === 0 ? undefined : v;
}
