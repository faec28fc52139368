import { DataWarehouseError, SDK_VERSION, SdkCompatibility, hasErrorCode } from '@datawarehouse/sdk';

/** Renders an error cause as `CODE: message` (or its string form) for error messages. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/**
 * A plugin module could not be imported, or its factory threw.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PluginLoadFailedError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_LOAD_FAILED' as const;
  constructor(
    /** The module specifier from the configuration. */
    readonly specifier: string,
    /** Index of the entry in the configuration's `plugins` array. */
    readonly index: number,
    cause: unknown,
  ) {
    super(`Cannot load plugin module '${specifier}' (plugins[${index}]): ${describeCause(cause)}`, { cause });
    this.name = 'PluginLoadFailedError';
  }
}
/** Guard for {@link PluginLoadFailedError}. */
export function isPluginLoadFailedError(e: unknown): e is PluginLoadFailedError {
  return hasErrorCode(e, 'ERR_PLUGIN_LOAD_FAILED');
}

/**
 * A plugin module loaded but does not export a factory, or the object it produced is not an
 * `IPlugin` (missing id, version, `initializeAsync`, ...).
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PluginInvalidError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_INVALID' as const;
  constructor(
    readonly specifier: string,
    readonly index: number,
    /** What is wrong, e.g. `'initializeAsync' must be a function`. */
    readonly reason: string,
  ) {
    super(`Plugin module '${specifier}' (plugins[${index}]) is not a valid plugin: ${reason}`);
    this.name = 'PluginInvalidError';
  }
}
/** Guard for {@link PluginInvalidError}. */
export function isPluginInvalidError(e: unknown): e is PluginInvalidError {
  return hasErrorCode(e, 'ERR_PLUGIN_INVALID');
}

/**
 * A plugin targets an SDK this host cannot run: another major, or a newer minor/patch.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PluginIncompatibleSdkError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_INCOMPATIBLE_SDK' as const;
  constructor(
    readonly pluginId: string,
    /** SDK version the plugin declares (`sdkVersion` or its `@SdkCompatibility`). */
    readonly pluginSdkVersion: string,
    /** SDK version of this host. */
    readonly hostSdkVersion: string = SDK_VERSION,
  ) {
    super(
      `Plugin '${pluginId}' was built for SDK ${pluginSdkVersion}, but this host provides SDK ` +
        `${hostSdkVersion}; a plugin needs the same major and at most the host's version`,
    );
    this.name = 'PluginIncompatibleSdkError';
  }
}
/** Guard for {@link PluginIncompatibleSdkError}. */
export function isPluginIncompatibleSdkError(e: unknown): e is PluginIncompatibleSdkError {
  return hasErrorCode(e, 'ERR_PLUGIN_INCOMPATIBLE_SDK');
}

/** Two configured plugins have the same id. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class DuplicatePluginError extends DataWarehouseError {
  readonly code = 'ERR_DUPLICATE_PLUGIN' as const;
  constructor(
    readonly pluginId: string,
    readonly firstIndex: number,
    readonly secondIndex: number,
  ) {
    super(`Plugin id '${pluginId}' is configured twice (plugins[${firstIndex}] and plugins[${secondIndex}])`);
    this.name = 'DuplicatePluginError';
  }
}
/** Guard for {@link DuplicatePluginError}. */
export function isDuplicatePluginError(e: unknown): e is DuplicatePluginError {
  return hasErrorCode(e, 'ERR_DUPLICATE_PLUGIN');
}

/** A plugin depends on a plugin id that is not configured. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class PluginMissingDependencyError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_MISSING_DEPENDENCY' as const;
  constructor(
    readonly pluginId: string,
    readonly dependencyId: string,
  ) {
    super(`Plugin '${pluginId}' depends on '${dependencyId}', which is not configured`);
    this.name = 'PluginMissingDependencyError';
  }
}
/** Guard for {@link PluginMissingDependencyError}. */
export function isPluginMissingDependencyError(e: unknown): e is PluginMissingDependencyError {
  return hasErrorCode(e, 'ERR_PLUGIN_MISSING_DEPENDENCY');
}

/** Plugin dependencies form a cycle; `cycle` lists it, first id repeated at the end. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class PluginDependencyCycleError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_DEPENDENCY_CYCLE' as const;
  constructor(readonly cycle: readonly string[]) {
    super(`Plugin dependencies form a cycle: ${cycle.join(' -> ')}`);
    this.name = 'PluginDependencyCycleError';
  }
}
/** Guard for {@link PluginDependencyCycleError}. */
export function isPluginDependencyCycleError(e: unknown): e is PluginDependencyCycleError {
  return hasErrorCode(e, 'ERR_PLUGIN_DEPENDENCY_CYCLE');
}

/** A plugin's `initializeAsync` threw or rejected; the host stopped what it had started. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class PluginInitFailedError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_INIT_FAILED' as const;
  constructor(
    readonly pluginId: string,
    cause: unknown,
  ) {
    super(`Plugin '${pluginId}' failed to initialize: ${describeCause(cause)}`, { cause });
    this.name = 'PluginInitFailedError';
  }
}
/** Guard for {@link PluginInitFailedError}. */
export function isPluginInitFailedError(e: unknown): e is PluginInitFailedError {
  return hasErrorCode(e, 'ERR_PLUGIN_INIT_FAILED');
}

/** A plugin's `startAsync` threw or rejected; the host stopped what it had started. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class PluginStartFailedError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_START_FAILED' as const;
  constructor(
    readonly pluginId: string,
    cause: unknown,
  ) {
    super(`Plugin '${pluginId}' failed to start: ${describeCause(cause)}`, { cause });
    this.name = 'PluginStartFailedError';
  }
}
/** Guard for {@link PluginStartFailedError}. */
export function isPluginStartFailedError(e: unknown): e is PluginStartFailedError {
  return hasErrorCode(e, 'ERR_PLUGIN_START_FAILED');
}

/** A plugin's `stopAsync` did not settle within the shutdown timeout. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class PluginStopTimeoutError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_STOP_TIMEOUT' as const;
  constructor(
    readonly pluginId: string,
    readonly timeoutMs: number,
  ) {
    super(`Plugin '${pluginId}' did not stop within ${timeoutMs} ms; shutdown continued without it`);
    this.name = 'PluginStopTimeoutError';
  }
}
/** Guard for {@link PluginStopTimeoutError}. */
export function isPluginStopTimeoutError(e: unknown): e is PluginStopTimeoutError {
  return hasErrorCode(e, 'ERR_PLUGIN_STOP_TIMEOUT');
}

/**
 * A plugin's `initializeAsync` or `startAsync` did not finish within `startupTimeoutMs`. It is
 * the cause of the {@link PluginInitFailedError} / {@link PluginStartFailedError} reported.
 * @since 6.0.0
 */
@SdkCompatibility('6.0.0')
export class PluginStartupTimeoutError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_STARTUP_TIMEOUT' as const;
  constructor(
    readonly pluginId: string,
    readonly phase: 'initializeAsync' | 'startAsync',
    readonly timeoutMs: number,
  ) {
    super(`Plugin '${pluginId}' did not finish ${phase} within ${timeoutMs} ms`);
    this.name = 'PluginStartupTimeoutError';
  }
}
/** Guard for {@link PluginStartupTimeoutError}. */
export function isPluginStartupTimeoutError(e: unknown): e is PluginStartupTimeoutError {
  return hasErrorCode(e, 'ERR_PLUGIN_STARTUP_TIMEOUT');
}

/** A plugin's `stopAsync` threw or rejected; shutdown continued with the other plugins. @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class PluginStopFailedError extends DataWarehouseError {
  readonly code = 'ERR_PLUGIN_STOP_FAILED' as const;
  constructor(
    readonly pluginId: string,
    cause: unknown,
  ) {
    super(`Plugin '${pluginId}' failed to stop: ${describeCause(cause)}`, { cause });
    this.name = 'PluginStopFailedError';
  }
}
/** Guard for {@link PluginStopFailedError}. */
export function isPluginStopFailedError(e: unknown): e is PluginStopFailedError {
  return hasErrorCode(e, 'ERR_PLUGIN_STOP_FAILED');
}

/** A kernel method was called in a state that does not allow it (e.g. starting twice). @since 6.0.0 */
@SdkCompatibility('6.0.0')
export class KernelStateError extends DataWarehouseError {
  readonly code = 'ERR_KERNEL_STATE' as const;
  constructor(
    readonly operation: string,
    readonly state: string,
  ) {
    super(`Cannot ${operation}: the kernel is ${state}`);
    this.name = 'KernelStateError';
  }
}
/** Guard for {@link KernelStateError}. */
export function isKernelStateError(e: unknown): e is KernelStateError {
  return hasErrorCode(e, 'ERR_KERNEL_STATE');
}
