import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageAuthenticator, createPluginMessage, isInvalidConfigurationError } from '@datawarehouse/sdk';
import { FederationKeyring } from './FederationKeyring.js';
import type { FederationKeySpec } from './FederationKeyring.js';
import { KeyringAuthenticator } from './KeyringAuthenticator.js';
import type { KeyringAuthenticatorOptions } from './KeyringAuthenticator.js';

const TOPIC = 'dw.resilience.circuit-breaker.state';
const OLD: FederationKeySpec = { id: 'k2025', secret: 'old-secret-0123456789abcdef-0123456789' };
const NEW: FederationKeySpec = { id: 'k2026', secret: 'new-secret-0123456789abcdef-0123456789' };
const msg = (nodeId = 'a', payload: unknown = { v: 1 }) =>
  createPluginMessage('circuit-state', payload, { nodeId, pluginId: 'p' });

function auth(keys: FederationKeySpec[], signing?: string, o: Partial<KeyringAuthenticatorOptions> = {}) {
  let now = 1_000_000;
  const a = new KeyringAuthenticator({ keyring: new FederationKeyring(keys, signing), now: () => now, ...o });
  return Object.assign(a, { advance: (ms: number) => (now += ms) });
}

function configError(call: () => unknown): string | undefined {
  try {
    call();
  } catch (e) {
    return isInvalidConfigurationError(e) ? e.field : `not coded: ${String(e)}`;
  }
  return undefined;
}

describe('KeyringAuthenticator', () => {
  it('puts key id and signature in front of the JSON and round-trips', () => {
    const a = auth([OLD]);
    const m = msg('a', { entries: [1, 2] });
    const wire = a.encode(TOPIC, m);
    expect(wire).toMatch(/^dw2\.k2025\.[A-Za-z0-9_-]{43}\.\{/);
    const r = a.decode(TOPIC, wire);
    expect(r).toMatchObject({ ok: true, keyId: 'k2025', message: { id: m.id, payload: m.payload } });
    expect(a.getStatistics()).toMatchObject({ signed: 1, accepted: 1, acceptedByKey: { k2025: 1 } });
  });

  it('checks the signature before parsing: altered JSON, another topic, another key are refused', () => {
    const a = auth([OLD, NEW]);
    const wire = a.encode(TOPIC, msg());
    const json = wire.slice(wire.indexOf('{'));
    const head = wire.slice(0, wire.indexOf('{'));
    expect(a.decode(TOPIC, head + json.replace('"v":1', '"v":2'))).toEqual({ ok: false, reason: 'bad-signature' });
    // Not even JSON: still only a signature mismatch, nothing was parsed.
    expect(a.decode(TOPIC, head + '{not json')).toEqual({ ok: false, reason: 'bad-signature' });
    expect(a.decode('other.topic', wire)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(a.decode(TOPIC, wire.replace('dw2.k2025.', 'dw2.k2026.'))).toEqual({ ok: false, reason: 'bad-signature' });
    expect(a.decode(TOPIC, wire.replace('dw2.k2025.', 'dw2.k9999.'))).toEqual({ ok: false, reason: 'unknown-key' });
    expect(a.decode(TOPIC, 'dw2.k2025..{}')).toEqual({ ok: false, reason: 'unsigned' });
    expect(a.decode(TOPIC, 'dw2.k2025.short.{}')).toEqual({ ok: false, reason: 'malformed' });
    expect(a.decode(TOPIC, `dw2.${'x'.repeat(65)}.${'A'.repeat(43)}.{}`)).toEqual({ ok: false, reason: 'malformed' });
    expect(a.decode(TOPIC, 'garbage')).toEqual({ ok: false, reason: 'malformed' });
    expect(a.decode(TOPIC, wire).ok).toBe(true);
  });

  it('refuses unknown wire versions with their own reason', () => {
    const a = auth([OLD]);
    expect(a.decode(TOPIC, 'dw3.k2025.' + 'A'.repeat(43) + '.{}')).toEqual({
      ok: false,
      reason: 'unsupported-version',
    });
    expect(a.decode(TOPIC, 'dw17.x')).toEqual({ ok: false, reason: 'unsupported-version' });
    // Version 1 (JSON first) is refused unless acceptWireV1.
    const v1 = JSON.stringify(new MessageAuthenticator({ secret: OLD.secret }).sign(TOPIC, msg()));
    expect(a.decode(TOPIC, v1)).toEqual({ ok: false, reason: 'unsupported-version' });
  });

  it('rotates with no message refused: accept new, then sign with new, then drop old', () => {
    // Step 1: every node accepts both keys and still signs with the old one.
    const a = auth([OLD, NEW], 'k2025');
    const b = auth([OLD, NEW], 'k2025');
    expect(b.decode(TOPIC, a.encode(TOPIC, msg('a'))).ok).toBe(true);
    // Step 2, rolled out node by node: A signs with the new key while B still signs with the old one.
    const a2 = auth([OLD, NEW], 'k2026');
    expect(b.decode(TOPIC, a2.encode(TOPIC, msg('a'))).ok).toBe(true);
    expect(a2.decode(TOPIC, b.encode(TOPIC, msg('b'))).ok).toBe(true);
    // Step 3: the old key is dropped; a node still signing with it is refused by key id.
    const a3 = auth([NEW]);
    expect(a3.decode(TOPIC, a2.encode(TOPIC, msg('a'))).ok).toBe(true);
    expect(a3.decode(TOPIC, b.encode(TOPIC, msg('b')))).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('per-node keys: a key bound to a node is accepted from that node only', () => {
    const keyA = { id: 'node-a', secret: 'a'.repeat(40), nodeId: 'a' };
    const keyB = { id: 'node-b', secret: 'b'.repeat(40), nodeId: 'b' };
    const a = auth([keyA, keyB, OLD], 'node-a');
    const receiver = auth([keyA, keyB, OLD], 'node-b');
    expect(receiver.decode(TOPIC, a.encode(TOPIC, msg('a')))).toMatchObject({ ok: true, keyId: 'node-a' });
    // Node a's key, claiming to be node c.
    expect(receiver.decode(TOPIC, a.encode(TOPIC, msg('c')))).toEqual({ ok: false, reason: 'wrong-node' });
    // A shared key is accepted unless requireNodeKeys.
    const shared = auth([OLD]).encode(TOPIC, msg('c'));
    expect(receiver.decode(TOPIC, shared).ok).toBe(true);
    const strict = auth([keyA, keyB, OLD], 'node-b', { requireNodeKeys: true });
    expect(strict.decode(TOPIC, auth([OLD]).encode(TOPIC, msg('c')))).toEqual({ ok: false, reason: 'wrong-node' });
    expect(strict.decode(TOPIC, a.encode(TOPIC, msg('a'))).ok).toBe(true);
  });

  it('refuses replays, expired and far-future messages', () => {
    const a = auth([OLD], undefined, { ttlMs: 1_000, maxClockSkewMs: 100 });
    const wire = a.encode(TOPIC, msg());
    expect(a.decode(TOPIC, wire).ok).toBe(true);
    expect(a.decode(TOPIC, wire)).toEqual({ ok: false, reason: 'replayed' });
    a.advance(1_101);
    expect(a.decode(TOPIC, wire)).toEqual({ ok: false, reason: 'expired' });
    const future = auth([OLD], undefined, { ttlMs: 1_000, maxClockSkewMs: 100 });
    future.advance(5_000);
    expect(a.decode(TOPIC, future.encode(TOPIC, msg()))).toEqual({ ok: false, reason: 'clock-skew' });
  });

  it('bounds the replay cache (LRU) and counts valid nonces it had to evict', () => {
    const a = auth([OLD], undefined, { replayCacheSize: 3 });
    const wires = Array.from({ length: 5 }, () => a.encode(TOPIC, msg()));
    for (const w of wires) expect(a.decode(TOPIC, w).ok).toBe(true);
    expect(a.getStatistics().replayCache).toEqual({ size: 3, capacity: 3, evictions: 2 });
    // The newest are still known; the evicted oldest one is the replay window the counter warns about.
    expect(a.decode(TOPIC, wires[4]!)).toEqual({ ok: false, reason: 'replayed' });
    a.setReplayCacheSize(1);
    expect(a.getStatistics().replayCache).toMatchObject({ size: 1, capacity: 1 });
    expect(a.decode(TOPIC, wires[4]!)).toEqual({ ok: false, reason: 'replayed' });
    expect(configError(() => a.setReplayCacheSize(0))).toBe('replayCacheSize');
  });

  it('reads and sends version 1 for a rolling upgrade', () => {
    const oldNode = new MessageAuthenticator({ secret: NEW.secret, now: () => 1_000_000 });
    const upgrading = auth([OLD, NEW], 'k2025', { acceptWireV1: true });
    expect(upgrading.decode(TOPIC, JSON.stringify(oldNode.sign(TOPIC, msg('old')))).ok).toBe(true);
    const forged = { ...oldNode.sign(TOPIC, msg('old')), signature: 'ab'.repeat(32) };
    expect(upgrading.decode(TOPIC, JSON.stringify(forged))).toEqual({ ok: false, reason: 'bad-signature' });
    const sendsV1 = auth([OLD], undefined, { wireVersion: 1 });
    const wire = sendsV1.encode(TOPIC, msg('new'));
    expect(oldNode.verify(TOPIC, JSON.parse(wire)).ok).toBe(false); // signed with OLD, which the old node lacks
    expect(
      new MessageAuthenticator({ secret: OLD.secret, now: () => 1_000_000 }).verify(TOPIC, JSON.parse(wire)).ok,
    ).toBe(true);
  });

  it('never throws on arbitrary input', () => {
    const a = auth([OLD], undefined, { acceptWireV1: true });
    const wire = a.encode(TOPIC, msg());
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.string().map((s) => 'dw2.' + s),
          fc.string().map((s) => wire.slice(0, 52) + s),
          fc.integer({ min: 0, max: wire.length - 1 }).map((i) => wire.slice(0, i)),
        ),
        (raw) => {
          expect(a.decode(TOPIC, raw).ok).toBe(false);
        },
      ),
    );
  });

  it('validates its configuration with coded errors and never shows a secret', () => {
    expect(configError(() => new FederationKeyring([]))).toBe('keys');
    expect(configError(() => new FederationKeyring([{ id: 'a.b', secret: OLD.secret }]))).toBe('keys[0].id');
    expect(configError(() => new FederationKeyring([OLD, OLD]))).toBe('keys[1].id');
    expect(configError(() => new FederationKeyring([{ id: 'x', secret: 'short' }]))).toBe('keys[0].secret');
    expect(configError(() => new FederationKeyring([OLD], 'nope'))).toBe('signingKeyId');
    expect(configError(() => new FederationKeyring([{ ...OLD, nodeId: '' }]))).toBe('keys[0].nodeId');
    expect(configError(() => auth([OLD], undefined, { wireVersion: 3 as 2 }))).toBe('wireVersion');
    expect(configError(() => auth([OLD], undefined, { replayCacheSize: 0 }))).toBe('replayCacheSize');
    expect(configError(() => auth([{ ...OLD, nodeId: 'a' }], undefined, { wireVersion: 1 }))).toBe('wireVersion');
    const ring = new FederationKeyring([OLD, { ...NEW, nodeId: 'b' }]);
    const shown = JSON.stringify(ring) + inspect(ring, { depth: 5 }) + inspect(auth([OLD]), { depth: 5 });
    expect(shown).not.toContain('secret-0123');
    expect(JSON.parse(JSON.stringify(ring))).toEqual({
      signingKeyId: 'k2025',
      keys: [{ id: 'k2025' }, { id: 'k2026', nodeId: 'b' }],
    });
  });
});
