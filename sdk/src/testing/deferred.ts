/**
 * A promise with its `resolve` and `reject` exposed, so a test decides when an operation settles.
 * @since 6.0.0
 */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * Creates a {@link Deferred}; `T` defaults to `undefined`, so a bare gate resolves with
 * `gate.resolve(undefined)`.
 *
 * @example
 * ```ts
 * const gate = deferred();
 * const call = runtime.execute(() => gate.promise);
 * gate.resolve(undefined);
 * await call;
 * ```
 * @since 6.0.0
 */
export function deferred<T = undefined>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
