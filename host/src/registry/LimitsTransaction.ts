import {
  InvalidConfigurationError,
  SdkCompatibility,
  isConfigurableSubsystem,
  isInvalidConfigurationError,
  silentLogger,
} from '@datawarehouse/sdk';
import type { IScalableSubsystem, Logger, ScalingLimits } from '@datawarehouse/sdk';
import { SubsystemNotFoundError } from './errors.js';
import { leafPaths, mergeTrees, treesEqual, valueAt, withValue, withoutValue } from './limitsTree.js';
import type { LimitsTree } from './limitsTree.js';
import type { SubsystemRegistry } from './SubsystemRegistry.js';
import { validateLimitsPatch } from './validateLimitsPatch.js';

type Section = Readonly<Record<string, Partial<ScalingLimits>>>;

/** One subsystem's part of a transaction. */
interface Step {
  readonly name: string;
  /** Replaced as a whole (an `IConfigurableSubsystem`), or patched field by field. */
  readonly replace: boolean;
  /** What is applied: the whole configuration (`replace`) or the patch. */
  readonly limits: Partial<ScalingLimits>;
  /** What restores the subsystem: its configuration before, or its values before at the patch's fields. */
  readonly undo: Partial<ScalingLimits>;
}

/**
 * Applies a configuration's `subsystems` section declaratively and all or nothing.
 *
 * Declaratively, as a three-way merge (like `kubectl apply`): the section's fields are set; a
 * field the previously applied section set and this one no longer does goes back to the value
 * it had before the host first applied a section (a per-strategy override is then removed);
 * fields no section ever set — including changes made through the admin API or code — are
 * left alone. A subsystem that implements `IConfigurableSubsystem` is replaced as a whole,
 * so a removed field really is unset (inherited again); any other subsystem is patched with
 * the fields that change, and a field it had no value for before cannot be unset.
 *
 * All or nothing: every entry is validated (and every configurable subsystem dry-runs its
 * change) before anything is applied; subsystems that can only be patched are applied first;
 * if one still refuses, those already changed are restored exactly — configured limits, not
 * the effective ones, so inherited values stay inherited.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class LimitsTransaction {
  /** Each subsystem's limits before any section was applied to it. */
  private readonly baselines = new WeakMap<IScalableSubsystem, LimitsTree>();
  private applied: Section = {};
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: SubsystemRegistry,
    private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * Applies `section` (see the class); transactions run one at a time. Resolves to the
   * limits now in force of every subsystem it named or the previous section named.
   * @throws {@link InvalidConfigurationError} with the field prefixed `subsystems.<name>.`, or
   * `ERR_SUBSYSTEM_NOT_FOUND`; the subsystems are then as they were (a restore that itself
   * fails is logged).
   */
  applyAsync(section: Section, source?: string): Promise<Record<string, ScalingLimits>> {
    const run = (): Promise<Record<string, ScalingLimits>> => this.run(section, source);
    const next = this.tail.then(run, run);
    this.tail = next.then(noop, noop);
    return next;
  }

  private async run(section: Section, source: string | undefined): Promise<Record<string, ScalingLimits>> {
    for (const s of this.registry.list()) if (!this.baselines.has(s)) this.baselines.set(s, snapshot(s));
    const names = Object.keys(section);
    for (const name of names) {
      if (this.registry.get(name) === undefined) throw new SubsystemNotFoundError(name, this.registry.names());
      validateLimitsPatch(`subsystems.${name}`, section[name], source, { allowEmpty: true });
    }
    const involved = [
      ...names,
      ...Object.keys(this.applied).filter((n) => !Object.hasOwn(section, n) && this.registry.get(n) !== undefined),
    ];
    const steps: Step[] = [];
    for (const name of involved) {
      const step = this.plan(name, section[name] ?? {}, source);
      if (step !== undefined) steps.push(step);
    }
    // Patched subsystems cannot be checked beforehand: they go first, so a refusal there
    // leaves the dry-run-checked ones untouched.
    steps.sort((a, b) => Number(a.replace) - Number(b.replace));
    const done: Step[] = [];
    for (const step of steps) {
      try {
        await this.apply(step, step.limits, source);
        done.push(step);
      } catch (e) {
        await this.undo(done, source);
        throw prefixed(step.name, e, source);
      }
    }
    this.applied = section;
    const result: Record<string, ScalingLimits> = Object.create(null) as Record<string, ScalingLimits>;
    for (const name of involved) result[name] = this.registry.get(name)!.currentLimits;
    return { ...result };
  }

  /** What `name` needs for `wanted` to be in force; `undefined` when it already is. */
  private plan(name: string, wanted: Partial<ScalingLimits>, source: string | undefined): Step | undefined {
    const subsystem = this.registry.get(name)!;
    const baseline = this.baselines.get(subsystem) ?? {};
    const wantedPaths = new Set(leafPaths(wanted).map(key));
    const dropped = leafPaths(this.applied[name] ?? {}).filter((p) => !wantedPaths.has(key(p)));
    if (isConfigurableSubsystem(subsystem)) {
      const before = subsystem.configuredLimits;
      let target: LimitsTree = before;
      for (const path of dropped) {
        const original = valueAt(baseline, path);
        target = original === undefined ? withoutValue(target, path) : withValue(target, path, original);
      }
      target = mergeTrees(target, wanted);
      if (treesEqual(target, before)) return undefined;
      try {
        subsystem.validateReplacement(target);
      } catch (e) {
        throw prefixed(name, e, source);
      }
      return { name, replace: true, limits: target, undo: before };
    }
    let patch: LimitsTree = {};
    for (const path of dropped) {
      const original = valueAt(baseline, path);
      if (original === undefined) {
        this.logger.warn(
          'a limit removed from the configuration cannot be unset on this subsystem; it keeps its value',
          { subsystem: name, field: key(path) },
        );
      } else {
        patch = withValue(patch, path, original);
      }
    }
    patch = mergeTrees(patch, wanted);
    const current: LimitsTree = { ...subsystem.currentLimits };
    const changed = leafPaths(patch).filter((p) => !treesEqual(valueAt(patch, p), valueAt(current, p)));
    if (changed.length === 0) return undefined;
    let limits: LimitsTree = {};
    let undo: LimitsTree = {};
    for (const path of changed) {
      limits = withValue(limits, path, valueAt(patch, path));
      const previous = valueAt(current, path);
      if (previous !== undefined) undo = withValue(undo, path, previous);
    }
    return { name, replace: false, limits, undo };
  }

  private apply(step: Step, limits: Partial<ScalingLimits>, source: string | undefined): Promise<ScalingLimits> {
    return step.replace
      ? this.registry.replaceAsync(step.name, limits, source)
      : this.registry.reconfigureAsync(step.name, limits, source);
  }

  /** Restores what `done` changed, latest first. */
  private async undo(done: readonly Step[], source: string | undefined): Promise<void> {
    for (const step of [...done].reverse()) {
      if (!step.replace && Object.keys(step.undo).length === 0) continue;
      try {
        await this.apply(step, step.undo, source);
      } catch (error) {
        this.logger.error('could not restore subsystem limits after a rejected section', {
          subsystem: step.name,
          error: String(error),
        });
      }
    }
  }
}

/** What a subsystem's limits were: its configuration when it exposes one, else its limits in force. */
function snapshot(s: IScalableSubsystem): LimitsTree {
  return isConfigurableSubsystem(s) ? s.configuredLimits : { ...s.currentLimits };
}

function key(path: readonly string[]): string {
  return JSON.stringify(path);
}

function prefixed(name: string, e: unknown, source: string | undefined): unknown {
  if (!isInvalidConfigurationError(e) || e.field.startsWith(`subsystems.${name}`)) return e;
  return new InvalidConfigurationError(`subsystems.${name}.${e.field}`, e.value, e.expected, source ?? e.source);
}

function noop(): void {}
