/**
 * Polls `probe` (every `intervalMs` of real time) until it returns true; rejects naming `what`
 * after `deadlineMs`. For waits on real I/O, which virtual time cannot drive.
 */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  what: string | (() => string),
  deadlineMs = 5_000,
  intervalMs = 5,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) {
      throw new Error(`not within ${deadlineMs} ms: ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
