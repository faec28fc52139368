import { LRUMap } from 'mnemonist';
import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';

/** Largest replay cache accepted. @since 6.0.0 */
export const MAX_REPLAY_CACHE_SIZE = 10_000_000;

/**
 * The nonces of accepted messages, until they expire, in a least-recently-used map of fixed
 * capacity (mnemonist's `LRUMap`): memory is bounded whatever arrives. Only messages whose
 * signature checked out are recorded, so forged traffic cannot push real nonces out. A nonce
 * evicted while its message is still valid opens a replay window: such evictions are counted
 * (`evictions`), and a non-zero count means the cache is too small for the traffic.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ReplayCache {
  private map: LRUMap<string, number>;
  private evicted = 0;

  /** @throws {@link InvalidConfigurationError} unless `capacity` is an integer in 1..{@link MAX_REPLAY_CACHE_SIZE}. */
  constructor(capacity: number) {
    this.map = new LRUMap<string, number>(validateCapacity(capacity));
  }

  /** Nonces held. */
  get size(): number {
    return this.map.size;
  }

  get capacity(): number {
    return this.map.capacity;
  }

  /** Still-valid nonces pushed out because the cache was full. */
  get evictions(): number {
    return this.evicted;
  }

  /**
   * Records `nonce`, valid until `validUntil` (ms); returns `false` when it is already held
   * and still valid at `now` (a replay), `true` otherwise.
   */
  checkAndRemember(nonce: string, validUntil: number, now: number): boolean {
    const held = this.map.peek(nonce);
    if (held !== undefined && held >= now) return false;
    const popped = this.map.setpop(nonce, validUntil);
    if (popped !== null && popped.evicted && popped.value >= now) this.evicted++;
    return true;
  }

  /**
   * Changes the capacity, keeping the most recently recorded nonces.
   * @throws {@link InvalidConfigurationError} unless an integer in 1..{@link MAX_REPLAY_CACHE_SIZE}.
   */
  resize(capacity: number, now: number): void {
    const next = new LRUMap<string, number>(validateCapacity(capacity));
    // Iteration is most recent first: re-insert the newest `capacity` ones, oldest of them first.
    const kept: [string, number][] = [];
    for (const entry of this.map.entries()) {
      if (kept.length === capacity) {
        if (entry[1] >= now) this.evicted++;
        continue;
      }
      kept.push(entry);
    }
    for (let i = kept.length - 1; i >= 0; i--) next.set(kept[i]![0], kept[i]![1]);
    this.map = next;
  }
}

function validateCapacity(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_REPLAY_CACHE_SIZE) {
    throw new InvalidConfigurationError('replayCacheSize', capacity, `an integer in 1..${MAX_REPLAY_CACHE_SIZE}`);
  }
  return capacity;
}
