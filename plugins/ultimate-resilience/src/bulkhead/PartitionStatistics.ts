import type { BulkheadOptions, BulkheadStatistics, IBulkheadIsolation } from '@datawarehouse/sdk';

/**
 * Aggregate statistics of a `PartitionedBulkhead`. `maxConcurrency` / `maxQueueSize` are
 * the per-partition limits; `running` / `queued` sum the live partitions; the counters
 * (`admitted`, `rejected*`, `aborted`) also include partitions evicted since; the peaks are the
 * highest seen by any single partition.
 * @since 6.0.0
 */
export interface PartitionedBulkheadStatistics extends BulkheadStatistics {
  /** Partitions held now. */
  readonly partitions: number;
  readonly maxPartitions: number;
  /** Idle partitions evicted to make room since creation. */
  readonly evictedPartitions: number;
  /** Largest `running` of any single partition now (load is per partition, not summed). */
  readonly busiestRunning: number;
  /** Largest `queued` of any single partition now. */
  readonly busiestQueued: number;
}

/**
 * The statistics of a partitioned bulkhead: the counters of its evicted partitions, kept so
 * that the aggregate never goes backwards, added on read to those of the live ones.
 * @internal
 */
export class PartitionStatistics {
  private evicted = 0;
  private admitted = 0;
  private queueFull = 0;
  private queueTimeout = 0;
  private shrunk = 0;
  private aborted = 0;
  private peakRunning = 0;
  private peakQueued = 0;

  /** Keeps the counters of `bulkhead`, which is being evicted. */
  retire(bulkhead: IBulkheadIsolation): void {
    const s = bulkhead.getStatistics();
    this.evicted++;
    this.admitted += s.admitted;
    this.queueFull += s.rejectedQueueFull;
    this.queueTimeout += s.rejectedQueueTimeout;
    this.shrunk += s.rejectedShrunk;
    this.aborted += s.aborted;
    if (s.peakRunning > this.peakRunning) this.peakRunning = s.peakRunning;
    if (s.peakQueued > this.peakQueued) this.peakQueued = s.peakQueued;
  }

  /** The aggregate over the live partitions and the retired counters. O(partitions). */
  aggregate(
    live: Iterable<{ readonly bulkhead: IBulkheadIsolation }>,
    partitions: number,
    maxPartitions: number,
    options: Readonly<BulkheadOptions>,
  ): PartitionedBulkheadStatistics {
    let running = 0;
    let queued = 0;
    let admitted = this.admitted;
    let rejectedQueueFull = this.queueFull;
    let rejectedQueueTimeout = this.queueTimeout;
    let rejectedShrunk = this.shrunk;
    let aborted = this.aborted;
    let peakRunning = this.peakRunning;
    let peakQueued = this.peakQueued;
    let busiestRunning = 0;
    let busiestQueued = 0;
    for (const { bulkhead } of live) {
      const s = bulkhead.getStatistics();
      running += s.running;
      queued += s.queued;
      if (s.running > busiestRunning) busiestRunning = s.running;
      if (s.queued > busiestQueued) busiestQueued = s.queued;
      admitted += s.admitted;
      rejectedQueueFull += s.rejectedQueueFull;
      rejectedQueueTimeout += s.rejectedQueueTimeout;
      rejectedShrunk += s.rejectedShrunk;
      aborted += s.aborted;
      if (s.peakRunning > peakRunning) peakRunning = s.peakRunning;
      if (s.peakQueued > peakQueued) peakQueued = s.peakQueued;
    }
    return {
      maxConcurrency: options.maxConcurrency,
      maxQueueSize: options.maxQueueSize,
      running,
      queued,
      admitted,
      rejectedQueueFull,
      rejectedQueueTimeout,
      rejectedShrunk,
      aborted,
      peakRunning,
      peakQueued,
      partitions,
      maxPartitions,
      evictedPartitions: this.evicted,
      busiestRunning,
      busiestQueued,
    };
  }
}
