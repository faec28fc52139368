/**
 * Which errors a resilience primitive produced itself, as opposed to errors that merely look
 * like them. A downstream can copy any `code` string (a remote error mapped to
 * `ERR_CIRCUIT_OPEN`, or even `new CircuitOpenError(...)` built by a client library); if the
 * pipeline trusted the code, such a downstream would never be counted as failing and could keep
 * its breaker closed for good. So the primitives mark the rejections they raise (an open
 * breaker, a full bulkhead, a rate limit, a refused argument), and
 * the pipeline passes an error through uncounted only when it carries that mark — as it does
 * when a nested pipeline's rejection comes out of an operation.
 *
 * The mark is a property under a `Symbol.for` key whose value is the marked object itself, so
 * duplicate copies of the SDK in one process agree on it (like the `code`-based guards, it works
 * across copies), while no JSON decoding or message mapping can produce it, and a copy of a marked
 * error (`{ ...e }`, `Object.assign(new Error(), e)`) or an object inheriting from one is not
 * marked: their property points at another object. Setting it costs one property store on an
 * object the primitive has just built — an open circuit may reject millions of calls a second —
 * where a `WeakSet` entry measured ~200 ns. An object that cannot take the property (frozen)
 * goes into a `WeakSet` kept on `globalThis` under another `Symbol.for` key instead.
 */

const MARK = Symbol.for('@datawarehouse/sdk/pipeline-rejection@6');
const REGISTRY_KEY = Symbol.for('@datawarehouse/sdk/pipeline-rejections@6');

type Marked = { [MARK]?: unknown };
type RegistryHolder = { [REGISTRY_KEY]?: WeakSet<object> };

const holder = globalThis as RegistryHolder;
const marked: WeakSet<object> = (holder[REGISTRY_KEY] ??= new WeakSet<object>());

/**
 * Marks `error` as a rejection raised by a resilience primitive (breaker, bulkhead, rate
 * limiter, argument check), then returns it. Primitives call this where they refuse a call;
 * application code has no reason to.
 * @since 6.0.0
 */
export function markPipelineRejection<E>(error: E): E {
  if (typeof error === 'object' && error !== null) {
    if (Object.isExtensible(error)) (error as Marked)[MARK] = error;
    else marked.add(error);
  }
  return error;
}

/**
 * Whether `error` is a rejection raised by a resilience primitive of this SDK (any copy of it
 * in the process) — not a downstream error that only carries the same `code`. The pipeline
 * never counts such a rejection as a downstream failure; every other error is counted unless
 * the strategy's predicates say otherwise.
 *
 * @example
 * ```ts
 * try { await resilience.executeWithResilience('orders', op); }
 * catch (e) { if (isPipelineRejection(e)) shed(); else report(e); }
 * ```
 * @since 6.0.0
 */
export function isPipelineRejection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ((error as Marked)[MARK] === error || marked.has(error));
}
