import { describe, expect, it } from 'vitest';
import {
  rejectUnknownKeys,
  validateBoolean,
  validateDuration,
  validateEnum,
  validateInteger,
  validateNumber,
  validateObject,
  validateString,
} from './validate.js';
import { errorOf } from '../testing/index.js';

describe('validators', () => {
  it.each([
    ['integer NaN', () => validateInteger('f', NaN, 0)],
    ['integer fraction', () => validateInteger('f', 1.5, 0)],
    ['integer below min', () => validateInteger('f', -1, 0)],
    ['integer above max', () => validateInteger('f', 11, 0, 10)],
    ['integer as string', () => validateInteger('f', '3', 0)],
    ['number infinite', () => validateNumber('f', Infinity, 0)],
    ['number exclusive min', () => validateNumber('f', 0, 0, 1, true)],
    ['duration negative', () => validateDuration('f', -1)],
    ['duration Infinity not allowed', () => validateDuration('f', Infinity)],
    ['boolean', () => validateBoolean('f', 'true')],
    ['string empty', () => validateString('f', '')],
    ['string pattern', () => validateString('f', 'a b', 10, /^\S+$/)],
    ['enum', () => validateEnum('f', 'x', ['a', 'b'])],
    ['object array', () => validateObject('f', [])],
    ['object null', () => validateObject('f', null)],
  ])('%s throws InvalidConfigurationError naming the field', (_name, fn) => {
    expect(errorOf(fn)).toMatchObject({ code: 'ERR_INVALID_CONFIGURATION', field: 'f' });
  });

  it('returns valid values unchanged', () => {
    expect(validateInteger('f', 3, 0)).toBe(3);
    expect(validateDuration('f', Infinity, 0, true)).toBe(Infinity);
    expect(validateEnum('f', 'a', ['a'])).toBe('a');
  });

  it('rejects unknown keys naming the full path', () => {
    expect(errorOf(() => rejectUnknownKeys('bulkhead', { maxConcurency: 1 }, ['maxConcurrency']))).toMatchObject({
      field: 'bulkhead.maxConcurency',
      value: 1,
    });
  });
});
