import type { BenchCase } from '../harness.js';
import { bareReject, bareRetry, bareSuccess, floorSuccess } from './bareCases.js';
import {
  cockatielBreaker,
  cockatielBreakerOpen,
  cockatielWrap,
  cockatielWrapNoTimeout,
  cockatielWrapOpen,
  cockatielWrapRetry,
} from './cockatielCases.js';
import { opossumOpen, opossumSuccess } from './opossumCases.js';
import {
  oursBreakerOnly,
  oursFull,
  oursFullHooked,
  oursNoTimeout,
  oursOpen,
  oursQueued,
  oursRetry,
} from './ourCases.js';

/** Every case, in table order: success path, then circuit open, then retry. */
export const ALL_CASES: readonly BenchCase[] = Object.freeze([
  bareSuccess,
  floorSuccess,
  opossumSuccess,
  cockatielBreaker,
  oursBreakerOnly,
  cockatielWrapNoTimeout,
  cockatielWrap,
  oursNoTimeout,
  oursFull,
  oursFullHooked,
  oursQueued,
  bareReject,
  opossumOpen,
  cockatielBreakerOpen,
  cockatielWrapOpen,
  oursOpen,
  bareRetry,
  cockatielWrapRetry,
  oursRetry,
]);
