import { SdkCompatibility, silentLogger } from '@datawarehouse/sdk';
import { validateInteger } from '@datawarehouse/sdk/internals';
import type { Clock, Logger, TimerHandle } from '@datawarehouse/sdk';
import type { SubsystemRegistry } from '../registry/SubsystemRegistry.js';
import { formatStatusLines } from './formatStatusLines.js';

/** Options of {@link StatusReporter}. @since 6.0.0 */
export interface StatusReporterOptions {
  readonly registry: Pick<SubsystemRegistry, 'names' | 'describe'>;
  readonly clock: Clock;
  /** Period, ms (>= 1). */
  readonly intervalMs: number;
  /** Receives each line. */
  readonly write: (line: string) => void;
  /** Receives errors from reading metrics. Default: silent. */
  readonly logger?: Logger;
}

/**
 * Prints compact status lines of every subsystem every `intervalMs` (see
 * `formatStatusLines`). A subsystem whose metrics throw is reported and skipped; the
 * timer never dies from it.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class StatusReporter {
  private timer: TimerHandle | undefined;
  private running = false;

  /** @throws {@link InvalidConfigurationError} when `intervalMs` is not an integer >= 1. */
  constructor(private readonly options: StatusReporterOptions) {
    validateInteger('statusIntervalMs', options.intervalMs, 1);
  }

  /** Starts the periodic report (the first after one interval). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops reporting and clears the timer. Idempotent. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Builds the current lines (also what each tick writes). */
  collect(): string[] {
    const lines: string[] = [];
    for (const name of this.options.registry.names()) {
      try {
        lines.push(...formatStatusLines(this.options.registry.describe(name)));
      } catch (e) {
        (this.options.logger ?? silentLogger).warn('cannot read subsystem metrics', { subsystem: name, error: e });
        lines.push(`${name} [metrics unavailable]`);
      }
    }
    return lines;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => this.tick(), this.options.intervalMs);
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    try {
      for (const line of this.collect()) this.options.write(`[status] ${line}`);
    } catch (e) {
      (this.options.logger ?? silentLogger).warn('status report failed', { error: e });
    }
    if (this.running) this.schedule();
  }
}
