import {
  InvalidConfigurationError,
  SdkCompatibility,
  isConfigurableSubsystem,
  isOperableSubsystem,
  silentLogger,
} from '@datawarehouse/sdk';
import { validateObject, validateString } from '@datawarehouse/sdk/internals';
import type {
  SubsystemActionInfo,
  BackpressureState,
  Disposable,
  IScalableSubsystem,
  ISubsystemRegistry,
  Logger,
  ScalingLimits,
  ScalingMetrics,
} from '@datawarehouse/sdk';
import { SubsystemNotFoundError } from './errors.js';
import { validateLimitsPatch } from './validateLimitsPatch.js';

/**
 * A point-in-time view of one subsystem, as the admin API and the status lines show it.
 * @since 6.0.0
 */
export interface SubsystemSnapshot {
  readonly name: string;
  /** Plugin that registered it (`host` for the host's own). */
  readonly owner: string;
  readonly backpressure: BackpressureState;
  /** The limits in force (inherited values included). */
  readonly limits: ScalingLimits;
  /**
   * What was set explicitly, for a subsystem that tells (`IConfigurableSubsystem`); edit
   * and write this back to change a value without turning inherited ones into explicit ones.
   */
  readonly configured?: Partial<ScalingLimits>;
  readonly metrics: ScalingMetrics;
}

interface Entry {
  readonly subsystem: IScalableSubsystem;
  readonly owner: string;
  // Tail of this subsystem's reconfiguration chain: one change at a time, in arrival order.
  tail: Promise<unknown>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_SUBSYSTEMS = 256;

/**
 * The host's registry of {@link IScalableSubsystem}s. Every reconfiguration (from code, the
 * admin API or a config reload) goes through {@link SubsystemRegistry.reconfigureAsync}: the
 * input is validated, then applied by the subsystem in place; changes to one subsystem are
 * serialized so concurrent callers never interleave.
 *
 * @example
 * ```ts
 * const limits = await registry.reconfigureAsync('resilience', { maxConcurrentOperations: 16 });
 * ```
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class SubsystemRegistry implements ISubsystemRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly logger: Logger = silentLogger) {}

  /**
   * Registers `subsystem` under its `name` on behalf of `owner`; the handle unregisters it.
   * @throws {@link InvalidConfigurationError} when the object is not a subsystem, the name is
   * malformed or taken, or the registry is full (256).
   */
  register(subsystem: IScalableSubsystem, owner = 'host'): Disposable {
    assertSubsystem(subsystem);
    const name = subsystem.name;
    const existing = this.entries.get(name);
    if (existing !== undefined) {
      throw new InvalidConfigurationError(
        'subsystem.name',
        name,
        `a name not yet registered (taken by '${existing.owner}')`,
      );
    }
    if (this.entries.size >= MAX_SUBSYSTEMS) {
      throw new InvalidConfigurationError('subsystem', name, `at most ${MAX_SUBSYSTEMS} registered subsystems`);
    }
    const entry: Entry = { subsystem, owner, tail: Promise.resolve() };
    this.entries.set(name, entry);
    this.logger.debug('subsystem registered', { subsystem: name, owner });
    return {
      dispose: () => {
        if (this.entries.get(name) === entry) this.entries.delete(name);
      },
    };
  }

  get(name: string): IScalableSubsystem | undefined {
    return this.entries.get(name)?.subsystem;
  }

  list(): readonly IScalableSubsystem[] {
    return [...this.entries.values()].map((e) => e.subsystem);
  }

  /** Names of the registered subsystems, in registration order. */
  names(): readonly string[] {
    return [...this.entries.keys()];
  }

  /**
   * Reads a subsystem's limits, backpressure state and metrics.
   * @throws {@link SubsystemNotFoundError}
   */
  describe(name: string): SubsystemSnapshot {
    const entry = this.require(name);
    const s = entry.subsystem;
    return {
      name,
      owner: entry.owner,
      backpressure: s.currentBackpressureState,
      limits: s.currentLimits,
      ...(isConfigurableSubsystem(s) && { configured: s.configuredLimits }),
      metrics: s.getScalingMetrics(),
    };
  }

  /**
   * Validates `limits` and applies them to the named subsystem; resolves to the limits in
   * force afterwards. Calls for the same subsystem run one after the other.
   * @param source - where the change came from (`admin API`, a file path), for errors and logs.
   * @throws {@link SubsystemNotFoundError}, or {@link InvalidConfigurationError} naming the
   * first bad field (nothing is applied then).
   */
  reconfigureAsync(name: string, limits: Partial<ScalingLimits>, source?: string): Promise<ScalingLimits> {
    return this.enqueue(name, limits, source, false);
  }

  /**
   * Validates `limits` and makes them the whole explicit configuration of a subsystem that
   * implements `IConfigurableSubsystem` (what they leave out goes back to its default or
   * inherited value); serialized with {@link SubsystemRegistry.reconfigureAsync}.
   * @throws {@link SubsystemNotFoundError}; {@link InvalidConfigurationError} naming the first
   * bad field, or field `subsystem` when the subsystem cannot replace its limits.
   */
  replaceAsync(name: string, limits: Partial<ScalingLimits>, source?: string): Promise<ScalingLimits> {
    return this.enqueue(name, limits, source, true);
  }

  private enqueue(
    name: string,
    limits: Partial<ScalingLimits>,
    source: string | undefined,
    replace: boolean,
  ): Promise<ScalingLimits> {
    let entry: Entry;
    let patch: Partial<ScalingLimits>;
    try {
      entry = this.require(name);
      patch = validateLimitsPatch('', limits, source, { allowEmpty: replace });
      if (replace && !isConfigurableSubsystem(entry.subsystem)) {
        throw new InvalidConfigurationError(
          'subsystem',
          name,
          'a subsystem that can replace its limits (IConfigurableSubsystem)',
          source,
        );
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const run = async (): Promise<ScalingLimits> => {
      const s = entry.subsystem;
      if (this.entries.get(name) !== entry) throw new SubsystemNotFoundError(name, this.names());
      const result =
        replace && isConfigurableSubsystem(s)
          ? await s.replaceLimitsAsync(patch)
          : await s.reconfigureLimitsAsync(patch);
      this.logger.info(replace ? 'subsystem limits replaced' : 'subsystem reconfigured', {
        subsystem: name,
        source: source ?? 'code',
        patch,
      });
      return result;
    };
    const next = entry.tail.then(run, run);
    entry.tail = next.then(noop, noop);
    return next;
  }

  /**
   * The operator actions of a subsystem (empty when it offers none).
   * @throws {@link SubsystemNotFoundError}
   */
  actions(name: string): readonly SubsystemActionInfo[] {
    const s = this.require(name).subsystem;
    return isOperableSubsystem(s) ? s.listActions() : [];
  }

  /**
   * Runs an operator action of a subsystem (e.g. `trip` a strategy's circuit).
   * @throws {@link SubsystemNotFoundError}; {@link InvalidConfigurationError} when the subsystem
   * has no such action or the arguments are invalid.
   */
  async invokeActionAsync(name: string, action: string, args: unknown, source?: string): Promise<unknown> {
    const s = this.require(name).subsystem;
    if (!isOperableSubsystem(s) || !s.listActions().some((a) => a.name === action)) {
      throw new InvalidConfigurationError('action', action, `an action of subsystem '${name}'`, source);
    }
    const body = validateObject('arguments', args ?? {});
    const result = await s.invokeActionAsync(action, body);
    this.logger.info('subsystem action', { subsystem: name, action, source: source ?? 'code' });
    return result;
  }

  /** A view for one plugin: registrations are recorded under its id, so the kernel can withdraw them. */
  forOwner(owner: string): ISubsystemRegistry {
    return {
      register: (subsystem) => this.register(subsystem, owner),
      get: (name) => this.get(name),
      list: () => this.list(),
      reconfigureAsync: (name, limits) => this.reconfigureAsync(name, limits, `plugin ${owner}`),
    };
  }

  /** Unregisters every subsystem of `owner` (on plugin shutdown). */
  unregisterOwner(owner: string): void {
    for (const [name, entry] of this.entries) if (entry.owner === owner) this.entries.delete(name);
  }

  private require(name: string): Entry {
    const entry = typeof name === 'string' ? this.entries.get(name) : undefined;
    if (entry === undefined) throw new SubsystemNotFoundError(String(name), this.names());
    return entry;
  }
}

function noop(): void {}

function assertSubsystem(s: unknown): asserts s is IScalableSubsystem {
  if (typeof s !== 'object' || s === null)
    throw new InvalidConfigurationError('subsystem', s, 'an IScalableSubsystem object');
  const o = s as Record<string, unknown>;
  validateString('subsystem.name', o.name, 128, NAME);
  for (const fn of ['getScalingMetrics', 'reconfigureLimitsAsync'] as const) {
    if (typeof o[fn] !== 'function') throw new InvalidConfigurationError(`subsystem.${fn}`, o[fn], 'a function');
  }
}
