/**
 * Delay before reconnect attempt `retries` (0 for the first): exponential from `minMs`,
 * doubling per attempt, capped at `maxMs`, with "equal jitter" — a random half of the step —
 * so that nodes losing the same server do not all come back in the same millisecond.
 * @param random - uniform in [0, 1). Default `Math.random`.
 * @since 6.0.0
 */
export function reconnectDelay(
  retries: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(retries)), 30);
  const step = Math.min(maxMs, minMs * 2 ** exponent);
  return Math.round(step / 2 + (step / 2) * random());
}
