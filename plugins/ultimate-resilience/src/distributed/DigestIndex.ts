import { SdkCompatibility } from '@datawarehouse/sdk';
import type { RegisterVersion } from './LwwRegisterMap.js';

/** Smallest and largest number of digest buckets. @since 6.0.0 */
export const MIN_DIGEST_BUCKETS = 16;
/** @since 6.0.0 */
export const MAX_DIGEST_BUCKETS = 2048;

/** FNV-1a, 32 bits, over the UTF-16 code units of `text` (the same on every node). */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The bucket of a strategy among `buckets`. @since 6.0.0 */
export function bucketOf(strategyId: string, buckets: number): number {
  return fnv1a(strategyId) % buckets;
}

/** The hash of one register version: what two nodes must agree on to hold the same value. @since 6.0.0 */
export function versionHash(strategyId: string, version: RegisterVersion): number {
  return fnv1a(`${strategyId}\u0000${version.lamport}\u0000${version.origin}`, 0x9747b28c);
}

/**
 * A compact summary of a node's registers: the registers are spread over `buckets` buckets by
 * strategy id, each bucket's hash is the sum (mod 2^32) of its versions' hashes — independent
 * of order, so every node holding the same versions computes the same value — and the root is
 * a hash of the bucket hashes. Two nodes compare roots first, then bucket hashes, then only the
 * entries of the buckets that differ.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class Digest {
  private constructor(
    readonly buckets: number,
    readonly hashes: Uint32Array,
    readonly count: number,
    readonly root: string,
  ) {}

  /** The digest of `entries` (strategy id and version). */
  static of(entries: Iterable<readonly [string, RegisterVersion]>, buckets: number): Digest {
    const hashes = new Uint32Array(buckets);
    let count = 0;
    for (const [id, version] of entries) {
      const b = bucketOf(id, buckets);
      hashes[b] = (hashes[b]! + versionHash(id, version)) >>> 0;
      count++;
    }
    return new Digest(buckets, hashes, count, hex(fnv1a(`${count}:${encodeHashes(hashes)}`)));
  }

  /** The bucket hashes as one string of 8 hex digits per bucket (the wire form). */
  encoded(): string {
    return encodeHashes(this.hashes);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function encodeHashes(hashes: Uint32Array): string {
  let out = '';
  for (const h of hashes) out += hex(h);
  return out;
}

/** Parses the wire form of bucket hashes; `undefined` when it is not `buckets` × 8 hex digits. @since 6.0.0 */
export function decodeBucketHashes(text: unknown, buckets: number): Uint32Array | undefined {
  if (typeof text !== 'string' || text.length !== buckets * 8 || !/^[0-9a-f]*$/.test(text)) return undefined;
  const out = new Uint32Array(buckets);
  for (let i = 0; i < buckets; i++) out[i] = Number.parseInt(text.slice(i * 8, i * 8 + 8), 16);
  return out;
}

/** The sum of versions' hashes of entries in one bucket, as a bucket hash. @since 6.0.0 */
export function bucketHash(entries: Iterable<readonly [string, RegisterVersion]>): number {
  let h = 0;
  for (const [id, v] of entries) h = (h + versionHash(id, v)) >>> 0;
  return h;
}
