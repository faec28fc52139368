import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageAuthenticator, createPluginMessage, isInvalidConfigurationError } from '@datawarehouse/sdk';
import { WireCodec } from './WireCodec.js';

const SECRET = 'wire-codec-test-secret-0123456789abcdef';
const TOPIC = 'dw.resilience.circuit-breaker.state';
const msg = (payload: unknown = { v: 1 }) =>
  createPluginMessage('circuit-state', payload, { nodeId: 'a', pluginId: 'p' });

function signing(maxBytes = 4096) {
  return new WireCodec(maxBytes, new MessageAuthenticator({ secret: SECRET }));
}

describe('WireCodec', () => {
  it('round-trips a signed message', () => {
    const codec = signing();
    const m = msg({ entries: [{ strategyId: 'db', lamport: 2 }] });
    const result = codec.decode(TOPIC, codec.encode(TOPIC, m));
    expect(result).toMatchObject({ ok: true, message: { id: m.id, payload: m.payload } });
  });

  it('drops forged, unsigned, replayed, malformed and oversized input with its reason', () => {
    const codec = signing(1024);
    const wire = codec.encode(TOPIC, msg());
    const forged = JSON.stringify({ ...JSON.parse(wire), payload: { v: 1, evil: true } });
    expect(codec.decode(TOPIC, forged)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(codec.decode(TOPIC, JSON.stringify(msg()))).toEqual({ ok: false, reason: 'unsigned' });
    expect(codec.decode(TOPIC, wire).ok).toBe(true);
    expect(codec.decode(TOPIC, wire)).toEqual({ ok: false, reason: 'replayed' });
    expect(codec.decode(TOPIC, '{not json')).toEqual({ ok: false, reason: 'malformed' });
    expect(codec.decode(TOPIC, '"a string"')).toEqual({ ok: false, reason: 'malformed' });
    expect(codec.decode(TOPIC, 'x'.repeat(1025))).toEqual({ ok: false, reason: 'oversized' });
    expect(codec.decode(TOPIC, `"${'é'.repeat(600)}"`)).toEqual({ ok: false, reason: 'oversized' });
    expect(codec.decode(TOPIC, Buffer.from('x'))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to send what is too large or not JSON, naming the field', () => {
    const codec = signing(1024);
    const field = (call: () => unknown) => {
      try {
        call();
      } catch (e) {
        return isInvalidConfigurationError(e) ? e.field : 'other';
      }
      return undefined;
    };
    expect(field(() => codec.encode(TOPIC, msg({ blob: 'x'.repeat(2_000) })))).toBe('message');
    expect(field(() => codec.encode(TOPIC, msg({ at: new Date() })))).toBe('message.payload.at');
    expect(field(() => codec.encode('', msg()))).toBe('topic');
  });

  it('without an authenticator sends unsigned and checks only size and schema', () => {
    const codec = new WireCodec(4096, undefined);
    expect(codec.signing).toBe(false);
    const wire = codec.encode(TOPIC, msg());
    expect(JSON.parse(wire)).not.toHaveProperty('signature');
    expect(codec.decode(TOPIC, wire).ok).toBe(true);
    expect(codec.decode(TOPIC, '{"id":1}')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('never throws on arbitrary input', () => {
    const codec = signing();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), (raw) => {
        expect(codec.decode(TOPIC, raw).ok).toBe(false);
      }),
    );
  });
});
