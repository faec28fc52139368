/**
 * The operations every library runs, so all cases do the same work: a trivially cheap async
 * function, one that always fails, and one that fails each call's first attempt (so each
 * call fails once and succeeds on its first retry). Errors are made once: building an `Error`
 * (its stack trace) costs more than most pipelines, and would drown what is measured.
 */

/** The value every successful operation resolves to. */
export const RESULT = 42;

/** The one error the failing operations throw. */
export const DOWNSTREAM_ERROR: Error = new Error('downstream failed (benchmark)');

/** A trivially cheap async operation: resolves to {@link RESULT}. */
export async function succeed(): Promise<number> {
  return RESULT;
}

/** An async operation that always rejects with {@link DOWNSTREAM_ERROR}. */
export async function fail(): Promise<number> {
  throw DOWNSTREAM_ERROR;
}

/** What the retry-path operation reads from its context: the attempt number. */
export interface AttemptContext {
  readonly attempt: number;
}

/**
 * Makes an operation that fails its first attempt and succeeds on the next, whatever the
 * interleaving of concurrent calls: each call costs exactly one failure and one retry.
 * Libraries number attempts differently (ours from 1, cockatiel from 0), hence
 * `firstAttempt`. `attempts()` counts the attempts made, for verification.
 */
export function makeFailsFirstAttempt(firstAttempt: number): {
  readonly op: (ctx: AttemptContext) => Promise<number>;
  readonly attempts: () => number;
} {
  let n = 0;
  return {
    op: async (ctx) => {
      n++;
      if (ctx.attempt === firstAttempt) throw DOWNSTREAM_ERROR;
      return RESULT;
    },
    attempts: () => n,
  };
}

/**
 * Makes one call and checks it took `expected` attempts (the retry path really retried).
 * @throws Error naming the case otherwise.
 */
export async function expectAttemptsPerCall(
  caseId: string,
  call: () => Promise<unknown>,
  attempts: () => number,
  expected: number,
): Promise<void> {
  const before = attempts();
  await call();
  const made = attempts() - before;
  if (made !== expected) throw new Error(`bench case ${caseId}: one call made ${made} attempts, expected ${expected}`);
}
