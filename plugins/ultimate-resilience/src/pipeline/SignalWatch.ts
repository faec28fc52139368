/** Something told when the caller's signal aborts. @internal */
export interface AbortWatcher {
  onCallerAbort(reason: unknown): void;
}

interface Watch {
  readonly watchers: Set<AbortWatcher>;
  readonly listener: () => void;
}

const watches = new WeakMap<AbortSignal, Watch>();

/**
 * One `abort` listener per signal, however many calls share it. A caller that passes one
 * shutdown signal to thousands of concurrent calls would otherwise add thousands of listeners
 * to it (and trip Node's MaxListenersExceededWarning). The listener is removed as soon as the
 * last call watching the signal settles.
 * @internal
 */
export function watchSignal(signal: AbortSignal, watcher: AbortWatcher): void {
  let watch = watches.get(signal);
  if (watch === undefined) {
    const watchers = new Set<AbortWatcher>();
    const listener = (): void => {
      watches.delete(signal);
      for (const w of watchers) w.onCallerAbort(signal.reason);
      watchers.clear();
    };
    watch = { watchers, listener };
    watches.set(signal, watch);
    signal.addEventListener('abort', listener, { once: true });
  }
  watch.watchers.add(watcher);
}

/** Stops watching; removes the listener when nobody watches the signal any more. @internal */
export function unwatchSignal(signal: AbortSignal, watcher: AbortWatcher): void {
  const watch = watches.get(signal);
  if (watch === undefined || !watch.watchers.delete(watcher)) return;
  if (watch.watchers.size === 0) {
    watches.delete(signal);
    signal.removeEventListener('abort', watch.listener);
  }
}
