import { describe, expect, it } from 'vitest';
import { configErrorOf } from '@datawarehouse/sdk/testing';
import { resolveDashboardOptions } from './DashboardOptions.js';
import { DashboardPlugin } from './DashboardPlugin.js';

describe('resolveDashboardOptions', () => {
  it('fills the defaults and freezes the result', () => {
    const o = resolveDashboardOptions();
    expect(o).toEqual({ subsystem: 'resilience', intervalMs: 1000, maxStreams: 16, eventLogSize: 200 });
    expect(Object.isFrozen(o)).toBe(true);
    expect(resolveDashboardOptions({ intervalMs: 5000, maxStreams: 1, eventLogSize: 10_000, subsystem: 'x' })).toEqual({
      subsystem: 'x',
      intervalMs: 5000,
      maxStreams: 1,
      eventLogSize: 10_000,
    });
  });

  it.each([
    [{ intervalMs: 999 }, 'intervalMs', 999],
    [{ intervalMs: 1000.5 }, 'intervalMs', 1000.5],
    [{ intervalMs: '1000' }, 'intervalMs', '1000'],
    [{ maxStreams: 0 }, 'maxStreams', 0],
    [{ eventLogSize: 10_001 }, 'eventLogSize', 10_001],
    [{ subsystem: 42 }, 'subsystem', 42],
    [{ subsystem: '' }, 'subsystem', ''],
    [{ colour: 'red' }, 'colour', 'red'],
  ])('refuses %j with a coded error naming %s and the value', (options, field, value) => {
    const error = configErrorOf(() => new DashboardPlugin(options));
    expect(error?.code).toBe('ERR_INVALID_CONFIGURATION');
    expect(error?.field).toBe(field);
    expect(error?.value).toEqual(value);
  });

  it('refuses options that are not an object', () => {
    expect(configErrorOf(() => resolveDashboardOptions([1]))?.field).toBe('options');
  });
});
