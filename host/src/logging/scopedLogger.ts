import type { Logger } from '@datawarehouse/sdk';

/**
 * A logger for one scope (a plugin id): the logger's own `child(scope)` when it has one,
 * otherwise a wrapper adding `{ scope }` to every entry's fields.
 */
export function scopedLogger(logger: Logger, scope: string): Logger {
  const withChild = logger as Logger & { child?: (scope: string) => Logger };
  if (typeof withChild.child === 'function') return withChild.child(scope);
  const add = (fields?: Readonly<Record<string, unknown>>): Record<string, unknown> => ({ scope, ...fields });
  return {
    debug: (m, f) => logger.debug(m, add(f)),
    info: (m, f) => logger.info(m, add(f)),
    warn: (m, f) => logger.warn(m, add(f)),
    error: (m, f) => logger.error(m, add(f)),
  };
}
