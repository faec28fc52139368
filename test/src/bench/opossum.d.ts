// Minimal typings of the parts of opossum 9 the benchmark uses (the package ships none, and
// @types/opossum is not a dependency of this workspace).
declare module 'opossum' {
  interface CircuitBreakerOptions {
    /** Per-call timeout, ms, or false for none. */
    timeout?: number | false;
    /** Concurrent calls allowed (its semaphore). */
    capacity?: number;
    resetTimeout?: number;
    errorThresholdPercentage?: number;
    volumeThreshold?: number;
    rollingCountTimeout?: number;
    rollingCountBuckets?: number;
    rollingPercentilesEnabled?: boolean;
    name?: string;
  }

  class CircuitBreaker<TArgs extends unknown[] = unknown[], TResult = unknown> {
    constructor(action: (...args: TArgs) => Promise<TResult>, options?: CircuitBreakerOptions);
    readonly opened: boolean;
    readonly closed: boolean;
    fire(...args: TArgs): Promise<TResult>;
    open(): void;
    close(): void;
    shutdown(): void;
  }

  export = CircuitBreaker;
}
