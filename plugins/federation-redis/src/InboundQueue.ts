import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';

/** Limits of an {@link InboundQueue}. @since 6.0.0 */
export interface InboundQueueLimits {
  /** Most messages waiting; one more is dropped (`shed`). */
  readonly maxQueued: number;
  /** Most bytes (UTF-16 units) waiting. */
  readonly maxQueuedBytes: number;
  /** Most messages handled per event-loop turn before yielding to other work (HTTP, timers). */
  readonly maxPerTurn: number;
}

/**
 * What arrives from Redis is not handled on the socket's data callback but queued and handled
 * in slices of at most `maxPerTurn` messages, one slice per event-loop turn (`setImmediate`):
 * however fast a flood comes in, the node answers its HTTP requests and fires its timers
 * between slices. The queue is bounded in messages and bytes; what does not fit is dropped
 * and counted (`shed`), never buffered without bound. Order is kept.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class InboundQueue {
  private topics: string[] = [];
  private raws: string[] = [];
  private head = 0;
  private bytes = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private shedCount = 0;
  private maxDepth = 0;
  private turns = 0;

  /** @throws {@link InvalidConfigurationError} for a limit that is not a positive integer. */
  constructor(
    private readonly handle: (topic: string, raw: string) => void,
    private readonly limits: InboundQueueLimits,
    /** What `handle` threw (the slice goes on with the next message). */
    private readonly onError: (error: unknown) => void,
  ) {
    for (const key of ['maxQueued', 'maxQueuedBytes', 'maxPerTurn'] as const) {
      const v = limits[key];
      if (!Number.isInteger(v) || v < 1) throw new InvalidConfigurationError(key, v, 'an integer >= 1');
    }
  }

  /** Messages waiting. */
  get length(): number {
    return this.raws.length - this.head;
  }

  /** Counters: dropped because full, deepest the queue got, slices run. */
  getStatistics(): {
    readonly queued: number;
    readonly shed: number;
    readonly maxDepth: number;
    readonly turns: number;
  } {
    return { queued: this.length, shed: this.shedCount, maxDepth: this.maxDepth, turns: this.turns };
  }

  /** Queues one message; `false` (and counted) when the queue is full. */
  push(topic: string, raw: string): boolean {
    const size = raw.length;
    if (this.length >= this.limits.maxQueued || this.bytes + size > this.limits.maxQueuedBytes) {
      this.shedCount++;
      return false;
    }
    this.topics.push(topic);
    this.raws.push(raw);
    this.bytes += size;
    if (this.length > this.maxDepth) this.maxDepth = this.length;
    this.scheduled ??= setImmediate(() => this.drain());
    return true;
  }

  /** Drops everything waiting and cancels the next slice. */
  clear(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.topics = [];
    this.raws = [];
    this.head = 0;
    this.bytes = 0;
  }

  private drain(): void {
    this.scheduled = undefined;
    this.turns++;
    const end = Math.min(this.raws.length, this.head + this.limits.maxPerTurn);
    while (this.head < end) {
      const i = this.head++;
      const topic = this.topics[i]!;
      const raw = this.raws[i]!;
      this.topics[i] = this.raws[i] = '';
      this.bytes -= raw.length;
      try {
        this.handle(topic, raw);
      } catch (error) {
        this.onError(error);
      }
    }
    if (this.head === this.raws.length) {
      this.topics = [];
      this.raws = [];
      this.head = 0;
    } else {
      if (this.head > 4096 && this.head * 2 > this.raws.length) {
        this.topics = this.topics.slice(this.head);
        this.raws = this.raws.slice(this.head);
        this.head = 0;
      }
      this.scheduled = setImmediate(() => this.drain());
    }
  }
}
