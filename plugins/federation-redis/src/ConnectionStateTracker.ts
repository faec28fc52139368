import { InvalidConfigurationError, SdkCompatibility } from '@datawarehouse/sdk';
import type { BusConnectionState, Disposable } from '@datawarehouse/sdk';

/** What `ConnectionStateTracker.snapshot` reports. @since 6.0.0 */
export interface ConnectionStateSnapshot {
  readonly connectionState: BusConnectionState;
  /** 1 when connected, 0 otherwise (for dashboards). */
  readonly connected: 0 | 1;
  /** Wall-clock ISO time of the last change, or null. */
  readonly stateSince: string | null;
  readonly lastConnectedAt: string | null;
  readonly lastDisconnectedAt: string | null;
  /** Times the connection came back after being lost. */
  readonly reconnects: number;
}

/**
 * A bus's connection state: tells listeners of each change (a throwing listener is isolated
 * and reported to `onListenerError`) and remembers when it changed and how often it came back.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class ConnectionStateTracker {
  private current: BusConnectionState = 'disconnected';
  private readonly listeners = new Set<(state: BusConnectionState) => void>();
  private everConnected = false;
  private reconnects = 0;
  private since: number | undefined;
  private lastConnected: number | undefined;
  private lastDisconnected: number | undefined;

  /** @param onListenerError - receives what a listener threw. */
  constructor(private readonly onListenerError: (error: unknown) => void) {}

  get state(): BusConnectionState {
    return this.current;
  }

  /**
   * Adds a listener; the disposable removes it (idempotent).
   * @throws {@link InvalidConfigurationError} when `listener` is not a function.
   */
  onChange(listener: (state: BusConnectionState) => void): Disposable {
    if (typeof listener !== 'function') throw new InvalidConfigurationError('listener', listener, 'a function');
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Moves to `state`; returns false (and tells nobody) when it is already the state. */
  set(state: BusConnectionState): boolean {
    if (state === this.current) return false;
    this.current = state;
    const now = Date.now();
    this.since = now;
    if (state === 'connected') {
      if (this.everConnected) this.reconnects++;
      this.everConnected = true;
      this.lastConnected = now;
    } else {
      this.lastDisconnected = now;
    }
    for (const listener of [...this.listeners]) {
      // Skip a listener removed by an earlier one during this same notification.
      if (!this.listeners.has(listener)) continue;
      try {
        listener(state);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    return true;
  }

  /** Drops every listener. */
  clear(): void {
    this.listeners.clear();
  }

  snapshot(): ConnectionStateSnapshot {
    return {
      connectionState: this.current,
      connected: this.current === 'connected' ? 1 : 0,
      stateSince: isoTime(this.since),
      lastConnectedAt: isoTime(this.lastConnected),
      lastDisconnectedAt: isoTime(this.lastDisconnected),
      reconnects: this.reconnects,
    };
  }
}

/** Wall-clock ms as an ISO string, or null. @since 6.0.0 */
export function isoTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
