import { SdkCompatibility, isAbortError } from '@datawarehouse/sdk';

const MAX_KEYS = 64;

/**
 * Counts call outcomes by error code (`ok` for successes, `ABORTED` for cancellations,
 * `ERR_UNKNOWN` for errors without a code). Bounded: past 64 distinct codes the rest count as `OTHER`.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class OutcomeCounter {
  private readonly counts = new Map<string, number>();

  /** Counts one success. */
  success(): void {
    this.add('ok');
  }

  /** Counts one failure under its code. */
  failure(error: unknown): void {
    this.add(codeOf(error));
  }

  /** Count of one outcome. */
  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  /** Total of every outcome. */
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** The counts as a plain object. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  private add(key: string): void {
    const k = this.counts.has(key) || this.counts.size < MAX_KEYS ? key : 'OTHER';
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
}

/** The outcome key of an error. */
export function codeOf(error: unknown): string {
  if (isAbortError(error)) return 'ABORTED';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length <= 64 ? code : 'ERR_UNKNOWN';
}
