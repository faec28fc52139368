import { isIP } from 'node:net';

/**
 * True for addresses that only this machine can reach: `localhost`, `127.0.0.0/8`, `::1`
 * (and `::ffff:127.x.x.x`). Square brackets around IPv6 are accepted.
 */
export function isLoopbackAddress(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = h.toLowerCase();
  if (lower === 'localhost') return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || lower.startsWith('::ffff:127.');
  return false;
}
