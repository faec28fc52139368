import { SdkCompatibility } from '@datawarehouse/sdk';
import type { Clock } from '@datawarehouse/sdk';

/** What one call asks of the downstream, drawn by the caller so every variant sees the same draws. */
export interface CallDemand {
  /** Work the call needs once a worker picks it up, ms. */
  readonly serviceMs: number;
  /** Whether it fails with a (background) server error once served. */
  readonly fails: boolean;
}

/** Error the model rejects with. */
@SdkCompatibility('6.0.0')
export class DownstreamFault extends Error {
  constructor(readonly kind: 'server-error' | 'unavailable') {
    super(kind === 'unavailable' ? 'downstream unavailable' : 'downstream server error');
    this.name = 'DownstreamFault';
  }
}

interface Waiting {
  readonly demand: CallDemand;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * A downstream with a concurrency capacity: `capacity` workers serve calls in FIFO order, and
 * calls beyond that wait in its own queue, so latency grows with queueing (M/G/c). It keeps
 * working on a call whose caller gave up (as real servers do). While `down`, every call fails
 * after `unavailableMs` (connection refused); calls already inside finish normally.
 */
@SdkCompatibility('6.0.0')
export class DownstreamModel {
  private readonly queue: Waiting[] = [];
  private head = 0;
  private busyWorkers = 0;
  capacity: number;
  down = false;
  /** Calls served (started) since creation. */
  served = 0;

  constructor(
    private readonly clock: Clock,
    capacity: number,
    private readonly unavailableMs = 2,
  ) {
    this.capacity = capacity;
  }

  /** Calls being served now. */
  get busy(): number {
    return this.busyWorkers;
  }

  /** Calls waiting inside the downstream now. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Changes the number of workers; running calls finish, new ones start within the new capacity. */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.pump();
  }

  call(demand: CallDemand): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.down) {
        this.clock.setTimeout(() => reject(new DownstreamFault('unavailable')), this.unavailableMs);
        return;
      }
      this.queue.push({ demand, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.busyWorkers < this.capacity && this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Waiting;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.busyWorkers++;
      this.served++;
      this.clock.setTimeout(() => {
        this.busyWorkers--;
        if (next.demand.fails) next.reject(new DownstreamFault('server-error'));
        else next.resolve();
        this.pump();
      }, next.demand.serviceMs);
    }
  }
}
