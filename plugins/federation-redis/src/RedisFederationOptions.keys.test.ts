import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from '@datawarehouse/sdk/testing';
import { DEFAULT_KEY_ID, resolveRedisFederationOptions } from './RedisFederationOptions.js';

const S1 = 'first-secret-that-is-long-enough-0123456789';
const S2 = 'second-secret-that-is-long-enough-0123456789';

describe('resolveRedisFederationOptions: keys', () => {
  it('makes the single secret a key with id default, signing by default', () => {
    const o = resolveRedisFederationOptions({ secret: S1 }, {});
    expect(o.keys.map((k) => k.id)).toEqual([DEFAULT_KEY_ID]);
    expect(o).toMatchObject({ signingKeyId: 'default', wireVersion: 2, acceptWireV1: false, requireNodeKeys: false });
    expect(o).toMatchObject({ maxInboundQueue: 10_000, maxMessagesPerTurn: 256 });
  });

  it('reads a keyring from the environment, signing with the key named', () => {
    const o = resolveRedisFederationOptions(
      {
        keys: [
          { id: 'k1', secretEnv: 'K1' },
          { id: 'k2', secretEnv: 'K2', nodeId: 'node-b' },
        ],
        signingKeyId: 'k2',
      },
      { K1: S1, K2: S2 },
    );
    expect(o.keys.map((k) => [k.id, k.nodeId, k.secret])).toEqual([
      ['k1', undefined, S1],
      ['k2', 'node-b', S2],
    ]);
    expect(o.signingKeyId).toBe('k2');
    expect(o.secret).toBe(S2);
    const shown = JSON.stringify(o) + inspect(o, { depth: 5 });
    expect(shown).not.toContain(S1);
    expect(shown).not.toContain(S2);
  });

  it('resolves Sentinel and Cluster deployments', () => {
    const o = resolveRedisFederationOptions(
      { secret: S1, sentinel: { masterName: 'dw', sentinels: ['127.0.0.1:26379', '[::1]:26380'] } },
      {},
    );
    expect(o.sentinel).toEqual({
      masterName: 'dw',
      sentinels: [
        { host: '127.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    });
    expect(resolveRedisFederationOptions({ secret: S1, cluster: { nodes: ['h:7000'] } }, {}).cluster).toEqual({
      nodes: [{ host: 'h', port: 7000 }],
      sharded: true,
    });
  });

  it('names the field of every bad key setting, never showing a secret', () => {
    const env = { K1: S1, SHORT: 'short' };
    const cases: [unknown, string][] = [
      [{ keys: [] }, 'keys'],
      [{ keys: 'k1' }, 'keys'],
      [{ keys: [{ id: 'k1', secretEnv: 'K1', extra: 1 }] }, 'keys[0].extra'],
      [{ keys: [{ id: 'has space', secretEnv: 'K1' }] }, 'keys[0].id'],
      [
        {
          keys: [
            { id: 'k1', secretEnv: 'K1' },
            { id: 'k1', secretEnv: 'K1' },
          ],
        },
        'keys[1].id',
      ],
      [{ keys: [{ id: 'k1' }] }, 'keys[0]'],
      [{ keys: [{ id: 'k1', secret: S1, secretEnv: 'K1' }] }, 'keys[0]'],
      [{ keys: [{ id: 'k1', secretEnv: 'MISSING' }] }, 'keys[0].secretEnv'],
      [{ keys: [{ id: 'k1', secretEnv: 'SHORT' }] }, 'env SHORT'],
      [{ keys: [{ id: 'k1', secret: 'short' }] }, 'keys[0].secret'],
      [{ keys: [{ id: 'k1', secretEnv: 'K1', nodeId: '' }] }, 'keys[0].nodeId'],
      [{ keys: [{ id: 'k1', secretEnv: 'K1' }], signingKeyId: 'k2' }, 'signingKeyId'],
      [{ keys: [{ id: 'k1', secretEnv: 'K1' }], secret: S1 }, 'secret'],
      [{ secret: S1, signingKeyId: 'other' }, 'signingKeyId'],
      [{ secret: S1, wireVersion: 3 }, 'wireVersion'],
      [{ secret: S1, acceptWireV1: 'yes' }, 'acceptWireV1'],
      [{ secret: S1, requireNodeKeys: 1 }, 'requireNodeKeys'],
      [{ secret: S1, maxInboundQueue: 0 }, 'maxInboundQueue'],
      [{ secret: S1, maxMessagesPerTurn: 1.5 }, 'maxMessagesPerTurn'],
      [{ secret: S1, sentinel: { masterName: 'm' } }, 'sentinel.sentinels'],
      [{ secret: S1, sentinel: { masterName: 'm', sentinels: ['127.0.0.1'] } }, 'sentinel.sentinels[0]'],
      [{ secret: S1, sentinel: { masterName: 'm', sentinels: ['h:70000'] } }, 'sentinel.sentinels[0]'],
      [{ secret: S1, sentinel: { masterName: 'a b', sentinels: ['h:1'] } }, 'sentinel.masterName'],
      [{ secret: S1, sentinel: { masterName: 'm', sentinels: ['h:1'], x: 1 } }, 'sentinel.x'],
      [{ secret: S1, cluster: { nodes: [] } }, 'cluster.nodes'],
      [{ secret: S1, cluster: { nodes: ['h:1'], sharded: 'no' } }, 'cluster.sharded'],
      [{ secret: S1, cluster: { nodes: ['h:1'] }, sentinel: { masterName: 'm', sentinels: ['h:1'] } }, 'cluster'],
    ];
    for (const [input, field] of cases) {
      const e = configErrorOf(() => resolveRedisFederationOptions(input, env));
      expect(e?.field, JSON.stringify(input)).toBe(field);
      expect(e?.code).toBe('ERR_INVALID_CONFIGURATION');
      expect(e?.message).not.toContain(S1);
      expect(e?.message).not.toContain('short"');
    }
  });
});
