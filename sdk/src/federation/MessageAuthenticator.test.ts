import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MESSAGE_REJECTION_REASONS,
  MIN_SECRET_BYTES,
  MessageAuthenticator,
  canonicalJson,
} from './MessageAuthenticator.js';
import type { PluginMessage } from './IFederatedMessageBus.js';
import { getSdkCompatibility } from '../compat/SdkCompatibility.js';
import { configErrorOf } from '../testing/index.js';

const SECRET = 'test-secret-0123456789abcdef-0123456789';
const TOPIC = 'dw.resilience.circuit-breaker.state';

function message(payload: unknown = { strategyId: 's', lamport: 3 }): PluginMessage {
  return { id: 'm-1', type: 'circuit-state', sourceNodeId: 'a', sourcePluginId: 'p', payload, timestamp: 1_000 };
}

function setup(options: { now?: () => number; replayCacheSize?: number; ttlMs?: number } = {}) {
  let wall = 1_700_000_000_000;
  const now = options.now ?? (() => wall);
  const auth = new MessageAuthenticator({
    secret: SECRET,
    now,
    ...(options.replayCacheSize && { replayCacheSize: options.replayCacheSize }),
    ...(options.ttlMs && { ttlMs: options.ttlMs }),
  });
  return {
    auth,
    advance: (ms: number) => {
      wall += ms;
    },
  };
}

/** What a receiver sees: the signed message after a JSON round trip. */
const wire = (m: PluginMessage): unknown => JSON.parse(JSON.stringify(m));

describe('canonicalJson', () => {
  it('sorts keys at every level and omits undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('serializes a JSON value and its JSON round trip identically', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
      }),
    );
  });

  it('rejects values JSON cannot round-trip, naming their path', () => {
    expect(configErrorOf(() => canonicalJson({ a: [1, Number.NaN] }, 'payload'))?.field).toBe('payload.a[1]');
    expect(configErrorOf(() => canonicalJson({ a: [undefined] }, 'payload'))?.field).toBe('payload.a[0]');
    expect(configErrorOf(() => canonicalJson({ d: new Date(0) }, 'payload'))?.field).toBe('payload.d');
    expect(configErrorOf(() => canonicalJson({ f: () => 1 }, 'payload'))?.field).toBe('payload.f');
    expect(configErrorOf(() => canonicalJson(10n))?.field).toBe('value');
  });

  it('refuses nesting deeper than 64 levels instead of exhausting the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(configErrorOf(() => canonicalJson(deep))?.message).toMatch(/nesting of at most 64/);
  });
});

describe('MessageAuthenticator', () => {
  it('is decorated with @SdkCompatibility 6.0.0', () => {
    expect(getSdkCompatibility(MessageAuthenticator)?.sdkVersion).toBe('6.0.0');
  });

  it('accepts what it signed after a JSON round trip, and only the signed fields travel on', () => {
    const { auth } = setup();
    const signed = auth.sign(TOPIC, message());
    expect(signed.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(signed.expiresAt).toBe(1_700_000_000_000 + 30_000);
    const received = { ...(wire(signed) as object), extra: 'not signed' };
    const result = auth.verify(TOPIC, received);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.message.payload).toEqual({ strategyId: 's', lamport: 3 });
      expect(result.message).not.toHaveProperty('extra');
    }
  });

  it('gives every signed copy a different nonce', () => {
    const { auth } = setup();
    expect(auth.sign(TOPIC, message()).nonce).not.toBe(auth.sign(TOPIC, message()).nonce);
  });

  it('rejects a message whose payload, envelope or topic was altered (bad-signature)', () => {
    const { auth } = setup();
    const signed = auth.sign(TOPIC, message()) as PluginMessage<{ lamport: number }>;
    expect(auth.verify(TOPIC, { ...signed, payload: { ...signed.payload, lamport: 99 } })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(auth.verify(TOPIC, { ...signed, sourceNodeId: 'evil' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(auth.verify(TOPIC, { ...signed, expiresAt: signed.expiresAt! + 1 })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(auth.verify('dw.other.topic', wire(signed))).toEqual({ ok: false, reason: 'bad-signature' });
    expect(auth.getStatistics().rejected['bad-signature']).toBe(4);
    expect(auth.getStatistics().accepted).toBe(0);
  });

  it('rejects a message signed with another secret', () => {
    const { auth } = setup();
    const other = new MessageAuthenticator({
      secret: 'another-secret-0123456789abcdef-0123',
      now: () => 1_700_000_000_000,
    });
    expect(auth.verify(TOPIC, wire(other.sign(TOPIC, message())))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects unsigned and malformed messages without throwing', () => {
    const { auth } = setup();
    const signed = auth.sign(TOPIC, message());
    expect(auth.verify(TOPIC, message())).toEqual({ ok: false, reason: 'unsigned' });
    expect(auth.verify(TOPIC, { ...signed, nonce: undefined })).toEqual({ ok: false, reason: 'unsigned' });
    expect(auth.verify(TOPIC, null)).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify(TOPIC, 'text')).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify(TOPIC, { ...signed, timestamp: 'soon' })).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify(TOPIC, { ...signed, signature: 'zz' })).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify(TOPIC, { ...signed, nonce: 'short' })).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify(TOPIC, { ...signed, payload: { n: Number.NaN } })).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.getStatistics().rejected).toMatchObject({ unsigned: 2, malformed: 6 });
  });

  it('rejects a replay of an accepted message', () => {
    const { auth } = setup();
    const signed = wire(auth.sign(TOPIC, message()));
    expect(auth.verify(TOPIC, signed).ok).toBe(true);
    expect(auth.verify(TOPIC, signed)).toEqual({ ok: false, reason: 'replayed' });
    expect(auth.verify(TOPIC, structuredClone(signed))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('does not let a forged message occupy the replay cache', () => {
    const { auth } = setup();
    const signed = auth.sign(TOPIC, message());
    auth.verify(TOPIC, { ...signed, signature: '0'.repeat(64) });
    expect(auth.getStatistics().replayCacheSize).toBe(0);
    expect(auth.verify(TOPIC, wire(signed)).ok).toBe(true);
  });

  it('rejects an expired message, tolerating the configured clock skew', () => {
    const { auth, advance } = setup();
    const a = wire(auth.sign(TOPIC, message()));
    const b = wire(auth.sign(TOPIC, message()));
    advance(30_000 + 5_000);
    expect(auth.verify(TOPIC, a).ok).toBe(true); // exactly at expiresAt + skew
    advance(1);
    expect(auth.verify(TOPIC, b)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects a message valid further ahead than ttl + skew (clock-skew)', () => {
    let wall = 1_700_000_000_000;
    const sender = new MessageAuthenticator({ secret: SECRET, now: () => wall + 6_000 });
    const receiver = new MessageAuthenticator({ secret: SECRET, now: () => wall });
    expect(receiver.verify(TOPIC, wire(sender.sign(TOPIC, message())))).toEqual({ ok: false, reason: 'clock-skew' });
    wall += 1_000; // now only 5 s ahead of the receiver: tolerated
    const within = new MessageAuthenticator({ secret: SECRET, now: () => wall + 5_000 });
    expect(receiver.verify(TOPIC, wire(within.sign(TOPIC, message()))).ok).toBe(true);
  });

  it('forgets nonces once their message expired, keeping the cache bounded in time', () => {
    const { auth, advance } = setup();
    for (let i = 0; i < 5; i++) expect(auth.verify(TOPIC, wire(auth.sign(TOPIC, message()))).ok).toBe(true);
    expect(auth.getStatistics().replayCacheSize).toBe(5);
    advance(35_001);
    expect(auth.verify(TOPIC, wire(auth.sign(TOPIC, message()))).ok).toBe(true);
    expect(auth.getStatistics().replayCacheSize).toBe(1);
  });

  it('bounds the replay cache in size, evicting the oldest nonce first', () => {
    const { auth } = setup({ replayCacheSize: 3 });
    const first = wire(auth.sign(TOPIC, message()));
    const second = wire(auth.sign(TOPIC, message()));
    expect(auth.verify(TOPIC, first).ok).toBe(true);
    expect(auth.verify(TOPIC, second).ok).toBe(true);
    for (let i = 0; i < 2; i++) auth.verify(TOPIC, wire(auth.sign(TOPIC, message())));
    const stats = auth.getStatistics();
    expect(stats).toMatchObject({ replayCacheSize: 3, replayCacheCapacity: 3, replayCacheEvictions: 1 });
    expect(auth.verify(TOPIC, second)).toEqual({ ok: false, reason: 'replayed' });
    auth.setReplayCacheSize(1);
    expect(auth.getStatistics()).toMatchObject({ replayCacheSize: 1, replayCacheEvictions: 3 });
  });

  it('never reveals the secret in errors, JSON or inspection', () => {
    const short = 'hunter2-short';
    const err = configErrorOf(() => new MessageAuthenticator({ secret: short }));
    expect(err?.field).toBe('secret');
    expect(err?.message).not.toContain(short);
    expect(err?.message).toContain(`at least ${MIN_SECRET_BYTES} bytes`);
    const { auth } = setup();
    expect(JSON.stringify(auth)).not.toContain(SECRET);
    expect(inspect(auth, { depth: 10, showHidden: true })).not.toContain(SECRET);
    expect(JSON.stringify(auth.getStatistics())).not.toContain(SECRET);
  });

  it('validates its options, naming the field', () => {
    expect(configErrorOf(() => new MessageAuthenticator({ secret: 42 as never }))?.field).toBe('secret');
    expect(configErrorOf(() => new MessageAuthenticator({ secret: SECRET, ttlMs: 0 }))?.field).toBe('ttlMs');
    expect(configErrorOf(() => new MessageAuthenticator({ secret: SECRET, maxClockSkewMs: -1 }))?.field).toBe(
      'maxClockSkewMs',
    );
    expect(configErrorOf(() => new MessageAuthenticator({ secret: SECRET, replayCacheSize: 0 }))?.field).toBe(
      'replayCacheSize',
    );
    expect(configErrorOf(() => new MessageAuthenticator({ secret: SECRET, now: 5 as never }))?.field).toBe('now');
    expect(configErrorOf(() => new MessageAuthenticator({ secret: SECRET, ttl: 5 } as never))?.field).toBe('ttl');
    expect(configErrorOf(() => new MessageAuthenticator({ secret: new Uint8Array(32) }))).toBeUndefined();
  });

  it('refuses to sign a bad envelope or a payload JSON cannot carry', () => {
    const { auth } = setup();
    expect(configErrorOf(() => auth.sign(TOPIC, { ...message(), id: '' }))?.field).toBe('message.id');
    expect(configErrorOf(() => auth.sign(TOPIC, message({ at: Number.POSITIVE_INFINITY })))?.field).toBe(
      'message.payload.at',
    );
    expect(configErrorOf(() => auth.sign('', message()))?.field).toBe('topic');
  });

  it('counts every rejection under exactly one reason and never throws, whatever arrives', () => {
    const { auth } = setup();
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        const result = auth.verify(TOPIC, junk);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(MESSAGE_REJECTION_REASONS).toContain(result.reason);
      }),
    );
    const s = auth.getStatistics();
    expect(Object.values(s.rejected).reduce((a, b) => a + b, 0)).toBe(100);
  });
});
