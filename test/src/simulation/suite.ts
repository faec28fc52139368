import { phases, staticLimits } from './scenarios.js';
import type { Scenario, ServiceModel } from './scenarios.js';

const MIN = 60_000;
const SERVICE: ServiceModel = { kind: 'lognormal', medianMs: 100, sigma: 0.4 };

/**
 * The scenario suite (#11 item 4). `scale` shortens every phase (for the test suite); 1 is the
 * full run. Each scenario's numbers are chosen to reproduce a shape of trouble, not to suit a rule:
 * the unloaded utilisation, the shift, the burst are stated in its title.
 */
export function buildScenarios(scale = 1): Scenario[] {
  const m = (minutes: number): number => Math.round(minutes * MIN * scale);
  const healthy16 = { capacity: 16 };
  return [
    {
      // Unloaded: 100 calls/s × ~108 ms mean service ≈ 11 calls in flight against 16 workers (68 %).
      name: 'capacity-halving',
      title: 'Capacity halves (16 → 8 workers, 135 % load) then recovers',
      seed: 1,
      arrivalsPerSecond: 100,
      service: SERVICE,
      phases: phases(
        healthy16,
        [{ label: 'healthy' }, { label: 'halved', capacity: 8, healthy: false }, { label: 'recovered' }],
        [m(10), m(10), m(10)],
      ),
      statics: staticLimits([6, 8, 12, 16, 24]),
    },
    {
      // Durations that are no multiple of any break duration tried, so no setting recovers by luck.
      name: 'outage',
      title: 'Two blips (12 s, 21 s), then a 187 s full outage, then recovery',
      seed: 2,
      arrivalsPerSecond: 100,
      service: SERVICE,
      phases: phases(
        healthy16,
        [
          { label: 'healthy' },
          { label: 'blip 1', down: true },
          { label: 'healthy 2' },
          { label: 'blip 2', down: true },
          { label: 'healthy 3' },
          { label: 'outage', down: true },
          { label: 'recovered' },
        ],
        [m(5), 12_000, m(5), 21_000, m(5), Math.round(187_000 * Math.max(scale, 0.25)), m(5)],
      ),
      statics: [
        ...[2_000, 5_000, 15_000].map((ms) => ({ name: `static break ${ms / 1000} s`, breakDurationMs: ms })),
        { name: 'static threshold 20', failureThreshold: 20 },
      ],
    },
    {
      name: 'healthy',
      title: 'Healthy service with 0.5 % background errors for an hour',
      seed: 3,
      arrivalsPerSecond: 100,
      service: SERVICE,
      phases: phases(healthy16, [{ label: 'healthy', errorRate: 0.005 }], [m(60)]),
      statics: [15, 20, 30].map((n) => ({ name: `static threshold ${n}`, failureThreshold: n })),
    },
    {
      // 20 calls/s × ~32 ms ≈ 0.6 in flight; ×10 slower ≈ 6.5 in flight against 64 workers: slower, not overloaded.
      name: 'latency-shift',
      title:
        'Latency shift without overload: the downstream becomes 10× slower (30 → 300 ms median), 64 workers, 20 calls/s',
      seed: 4,
      arrivalsPerSecond: 20,
      service: { kind: 'lognormal', medianMs: 30, sigma: 0.4 },
      phases: phases(
        { capacity: 64 },
        [{ label: 'normal' }, { label: '10× slower', serviceFactor: 10 }, { label: 'normal again' }],
        [m(10), m(15), m(5)],
      ),
      statics: staticLimits([4, 8, 16]),
    },
    {
      // 2 calls/s × 108 ms ≈ 0.2 in flight; a burst of 40 at once against a 20-call queue with a 1 s timeout.
      name: 'light-then-burst',
      title:
        'Light load (2 calls/s) for 10 minutes, then a burst of 40 calls at once (queue 20, 1 s queue timeout), twice',
      seed: 5,
      arrivalsPerSecond: 2,
      service: SERVICE,
      queue: { maxQueueSize: 20, queueTimeoutMs: 1_000 },
      phases: phases(
        { capacity: 64 },
        [
          { label: 'light' },
          { label: 'burst 1', burst: { calls: 40, afterMs: 1_000 } },
          { label: 'light 2' },
          { label: 'burst 2', burst: { calls: 40, afterMs: 1_000 } },
        ],
        [m(10), 10_000, m(5), 10_000],
      ),
      statics: staticLimits([2, 4, 8, 16, 32]),
    },
    {
      // 50 calls/s × 54 → 216 ms ≈ 2.7 → 11 in flight against 32 workers: slower, never overloaded.
      name: 'latency-creep',
      title: 'Slow latency creep: median 50 → 200 ms over 30 minutes, 32 workers, 50 calls/s',
      seed: 6,
      arrivalsPerSecond: 50,
      service: { kind: 'lognormal', medianMs: 50, sigma: 0.4 },
      phases: phases(
        { capacity: 32 },
        [
          { label: 'steady' },
          { label: 'creeping', serviceFactor: 1, serviceFactorEnd: 4 },
          { label: 'plateau', serviceFactor: 4 },
        ],
        [m(5), m(30), m(5)],
      ),
      statics: staticLimits([8, 16]),
    },
    {
      // 15 → 130 → 15 calls/s over 40 minutes against 16 workers: 10 % → 88 % → 10 % utilisation.
      name: 'daily-swing',
      title: 'Daily-like load swing: 15 → 130 → 15 calls/s (sinusoid over 40 minutes), 16 workers',
      seed: 7,
      arrivalsPerSecond: 130,
      rateAt: (t) => 15 + (130 - 15) * 0.5 * (1 - Math.cos((2 * Math.PI * t) / m(40))),
      service: SERVICE,
      phases: phases(
        healthy16,
        [{ label: 'night' }, { label: 'morning' }, { label: 'peak' }, { label: 'evening' }],
        [m(10), m(10), m(10), m(10)],
      ),
      statics: staticLimits([12, 16, 24]),
    },
    {
      // Hits 5 ms, misses 150 ms; 15 % misses ≈ 2.5 in flight, 50 % ≈ 8 against 16 workers.
      name: 'bimodal',
      title: 'Bimodal latency: fast hits (5 ms) and slow misses (150 ms); the miss rate goes 15 % → 50 % → 15 %',
      seed: 8,
      arrivalsPerSecond: 100,
      service: {
        kind: 'bimodal',
        hit: { medianMs: 5, sigma: 0.3 },
        miss: { medianMs: 150, sigma: 0.3 },
        missRate: 0.15,
      },
      phases: phases(
        healthy16,
        [{ label: 'warm cache' }, { label: 'cold cache', missRate: 0.5 }, { label: 'warm again' }],
        [m(10), m(10), m(10)],
      ),
      statics: staticLimits([8, 16]),
    },
    {
      // 80 calls/s × 108 ms ≈ 8.6 in flight; 16 → 6 workers is 144 % load, and callers retry every failure twice.
      name: 'retry-storm',
      title:
        'Retry storm: capacity drops 16 → 6 workers at 80 calls/s and callers retry every failure twice (50 ms later)',
      seed: 9,
      arrivalsPerSecond: 80,
      service: SERVICE,
      callerRetries: { attempts: 2, delayMs: 50 },
      phases: phases(
        healthy16,
        [{ label: 'healthy' }, { label: 'degraded', capacity: 6, healthy: false }, { label: 'recovered' }],
        [m(5), m(5), m(5)],
      ),
      statics: staticLimits([6, 8, 12, 16]),
    },
  ];
}
