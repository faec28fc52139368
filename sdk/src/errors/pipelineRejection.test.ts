import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from './errors.js';
import { isPipelineRejection, markPipelineRejection } from './pipelineRejection.js';
import type * as PipelineRejection from './pipelineRejection.js';

describe('pipelineRejection', () => {
  it('recognises only errors a primitive marked, never a look-alike carrying the same code', () => {
    const genuine = markPipelineRejection(new CircuitOpenError('c', 'open', 10));
    const lookAlike = new CircuitOpenError('c', 'open', 10);
    expect(isPipelineRejection(genuine)).toBe(true);
    expect(isPipelineRejection(lookAlike)).toBe(false);
    expect(isPipelineRejection({ code: 'ERR_CIRCUIT_OPEN' })).toBe(false);
    expect([undefined, null, 'ERR_CIRCUIT_OPEN', 42].map(isPipelineRejection)).toEqual([false, false, false, false]);
    expect(markPipelineRejection('not an object')).toBe('not an object');
  });

  it('marks a frozen error too, and a mark is not carried by JSON or by copying the code', () => {
    const frozen = markPipelineRejection(Object.freeze(new Error('frozen')));
    expect(isPipelineRejection(frozen)).toBe(true);
    const genuine = markPipelineRejection(new CircuitOpenError('c', 'open', 10));
    const decoded: unknown = JSON.parse(JSON.stringify({ ...genuine, code: genuine.code }));
    expect(isPipelineRejection(decoded)).toBe(false);
    expect(isPipelineRejection(Object.assign(new Error('mapped'), { code: genuine.code }))).toBe(false);
  });

  it('does not count a copy of a marked rejection, or an object inheriting from one, as marked', () => {
    const original = markPipelineRejection(new CircuitOpenError('x', 'open', 10));
    expect(isPipelineRejection({ ...original, message: 'wrapped' })).toBe(false);
    expect(isPipelineRejection(Object.assign(new Error('d'), original))).toBe(false);
    expect(isPipelineRejection(Object.create(original))).toBe(false);
    expect(isPipelineRejection(original)).toBe(true);
  });

  it('is shared by a duplicate copy of the SDK module in the same process', async () => {
    // A second instance of the module, as a second copy of the package would load it.
    const copy = (await import(
      /* @vite-ignore */ `./pipelineRejection.js?copy=${Date.now()}`
    )) as typeof PipelineRejection;
    expect(copy.isPipelineRejection).not.toBe(isPipelineRejection);
    const markedHere = markPipelineRejection(new Error('here'));
    const markedThere = copy.markPipelineRejection(new Error('there'));
    expect(copy.isPipelineRejection(markedHere)).toBe(true);
    expect(isPipelineRejection(markedThere)).toBe(true);
  });
});
