import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryFederation } from './InMemoryFederation.js';
import { isBusClosedError } from './BusClosedError.js';
import { CONNECTION_STATE_TOPIC } from './InMemoryMessageBus.js';
import type { BusConnectionState, PluginMessage } from './IFederatedMessageBus.js';
import { VirtualClock, flushMicrotasks } from '../time/VirtualClock.js';
import { isInvalidConfigurationError } from '../errors/errors.js';
import { getSdkCompatibility } from '../compat/SdkCompatibility.js';

function msg(id: string, payload: unknown = null, sourceNodeId = 'a'): PluginMessage {
  return { id, type: 'test', sourceNodeId, sourcePluginId: 'plugin', payload, timestamp: 1000 };
}

async function expectInvalid(promise: Promise<unknown>, field: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isInvalidConfigurationError(err), String(err)).toBe(true);
  expect((err as { field: string }).field).toBe(field);
}

let federation: InMemoryFederation;
afterEach(() => federation?.dispose());

function setup() {
  const clock = new VirtualClock();
  federation = new InMemoryFederation({ clock });
  return { clock, a: federation.createNode('a'), b: federation.createNode('b') };
}

describe('InMemoryMessageBus', () => {
  it('is decorated with its SDK version and reports its node id', () => {
    const { a } = setup();
    expect(getSdkCompatibility(a)?.sdkVersion).toBe('6.0.0');
    expect(a.nodeId).toBe('a');
    expect(a.connectionState).toBe('connected');
  });

  it('resolves publish before any handler runs', async () => {
    const { a } = setup();
    const seen: string[] = [];
    a.subscribe('t', (m) => void seen.push(m.id));
    const p = a.publish('t', msg('1'));
    expect(seen).toEqual([]);
    await p;
    await flushMicrotasks();
    expect(seen).toEqual(['1']);
  });

  it('passes the topic to the handler and only delivers the subscribed topic', async () => {
    const { a } = setup();
    const seen: string[] = [];
    a.subscribe('t1', (m, topic) => void seen.push(`${topic}:${m.id}`));
    await a.publish('t1', msg('1'));
    await a.publish('t2', msg('2'));
    await flushMicrotasks();
    expect(seen).toEqual(['t1:1']);
  });

  it('returns an idempotent disposable from subscribe', async () => {
    const { a } = setup();
    let calls = 0;
    const sub = a.subscribe('t', () => void calls++);
    const other = a.subscribe('t', () => undefined);
    expect(a.subscriberCount('t')).toBe(2);
    sub.dispose();
    sub.dispose();
    expect(a.subscriberCount('t')).toBe(1);
    other.dispose();
    expect(a.subscriberCount()).toBe(0);
    await a.publish('t', msg('1'));
    await flushMicrotasks();
    expect(calls).toBe(0);
  });

  it('lets a handler unsubscribe another one mid-delivery: the other is skipped', async () => {
    const { a } = setup();
    const seen: string[] = [];
    const subs: { dispose(): void }[] = [];
    subs.push(
      a.subscribe('t', (m) => {
        seen.push(`first:${m.id}`);
        subs[1]!.dispose();
        subs[0]!.dispose(); // disposing itself mid-delivery is safe too
      }),
    );
    subs.push(a.subscribe('t', (m) => void seen.push(`second:${m.id}`)));
    subs.push(a.subscribe('t', (m) => void seen.push(`third:${m.id}`)));
    await a.publish('t', msg('1'));
    await a.publish('t', msg('2'));
    await flushMicrotasks();
    expect(seen).toEqual(['first:1', 'third:1', 'third:2']);
  });

  it('does not hand the current message to a handler subscribed during its delivery', async () => {
    const { a } = setup();
    const seen: string[] = [];
    a.subscribe('t', (m) => {
      seen.push(`outer:${m.id}`);
      if (m.id === '1') a.subscribe('t', (n) => void seen.push(`inner:${n.id}`));
    });
    await a.publish('t', msg('1'));
    await flushMicrotasks();
    await a.publish('t', msg('2'));
    await flushMicrotasks();
    expect(seen).toEqual(['outer:1', 'outer:2', 'inner:2']);
  });

  it('isolates a handler that throws or rejects and reports it with topic and node', async () => {
    const clock = new VirtualClock();
    const reported: [unknown, string, string][] = [];
    federation = new InMemoryFederation({
      clock,
      onHandlerError: (e, topic, node) => void reported.push([e, topic, node]),
    });
    const a = federation.createNode('a');
    const boom = new Error('boom');
    const later = new Error('later');
    const seen: string[] = [];
    a.subscribe('t', () => {
      throw boom;
    });
    a.subscribe('t', () => Promise.reject(later));
    a.subscribe('t', (m) => void seen.push(m.id));
    await expect(a.publish('t', msg('1'))).resolves.toBeUndefined();
    await flushMicrotasks();
    expect(seen).toEqual(['1']);
    expect(reported).toEqual([
      [boom, 't', 'a'],
      [later, 't', 'a'],
    ]);
    expect(federation.getStatistics().handlerErrors).toBe(2);
  });

  it('does not treat a handler returning a non-promise value as an error', async () => {
    const { a } = setup();
    a.subscribe('t', (() => null) as never);
    a.subscribe('t', (() => ({ then: 5 })) as never);
    await a.publish('t', msg('1'));
    await flushMicrotasks();
    expect(federation.getStatistics()).toMatchObject({ delivered: 1, handlerErrors: 0 });
  });

  it('survives an error hook that throws itself', async () => {
    const clock = new VirtualClock();
    federation = new InMemoryFederation({
      clock,
      onHandlerError: () => {
        throw new Error('hook');
      },
    });
    const a = federation.createNode('a');
    const seen: string[] = [];
    a.subscribe('t', () => {
      throw new Error('handler');
    });
    a.subscribe('t', (m) => void seen.push(m.id));
    await a.publish('t', msg('1'));
    await flushMicrotasks();
    expect(seen).toEqual(['1']);
    expect(federation.getStatistics().handlerErrors).toBe(1);
  });

  it('tells connection-state listeners about changes only, until disposed', () => {
    const { a } = setup();
    const states: BusConnectionState[] = [];
    const sub = a.onConnectionStateChange((s) => void states.push(s));
    federation.disconnect('a');
    federation.disconnect('a');
    expect(a.connectionState).toBe('disconnected');
    federation.reconnect('a');
    expect(a.connectionState).toBe('connected');
    sub.dispose();
    sub.dispose();
    federation.disconnect('a');
    expect(states).toEqual(['disconnected', 'connected']);
  });

  it('does not call a listener disposed by an earlier listener of the same change', () => {
    const { a } = setup();
    const states: string[] = [];
    const later: { sub?: { dispose(): void } } = {};
    a.onConnectionStateChange(() => later.sub?.dispose());
    later.sub = a.onConnectionStateChange((s) => void states.push(s));
    federation.disconnect('a');
    expect(states).toEqual([]);
  });

  it('isolates a connection-state listener that throws and reports it', () => {
    const clock = new VirtualClock();
    const topics: string[] = [];
    federation = new InMemoryFederation({ clock, onHandlerError: (_e, topic) => void topics.push(topic) });
    const a = federation.createNode('a');
    const states: BusConnectionState[] = [];
    a.onConnectionStateChange(() => {
      throw new Error('listener');
    });
    a.onConnectionStateChange((s) => void states.push(s));
    federation.disconnect('a');
    expect(states).toEqual(['disconnected']);
    expect(topics).toEqual([CONNECTION_STATE_TOPIC]);
  });

  it.each([
    ['an empty topic', '', 'topic'],
    ['a topic over 256 characters', 'x'.repeat(257), 'topic'],
    ['a non-string topic', 42, 'topic'],
  ])('rejects %s on publish, publishToAllNodes and subscribe', async (_name, topic, field) => {
    const { a } = setup();
    await expectInvalid(a.publish(topic as string, msg('1')), field);
    await expectInvalid(a.publishToAllNodes(topic as string, msg('1')), field);
    expect(() => a.subscribe(topic as string, () => undefined)).toThrow(expect.objectContaining({ field }));
  });

  it('accepts a topic of exactly 256 characters', async () => {
    const { a } = setup();
    await expect(a.publish('x'.repeat(256), msg('1'))).resolves.toBeUndefined();
  });

  it.each([
    ['message', null],
    ['message.id', { ...msg('1'), id: '' }],
    ['message.type', { ...msg('1'), type: 7 }],
    ['message.sourceNodeId', { ...msg('1'), sourceNodeId: undefined }],
    ['message.sourcePluginId', { ...msg('1'), sourcePluginId: null }],
    ['message.timestamp', { ...msg('1'), timestamp: Number.NaN }],
    ['message.timestamp', { ...msg('1'), timestamp: '1000' }],
    ['message.signature', { ...msg('1'), signature: 5 }],
    ['message.nonce', { ...msg('1'), nonce: '' }],
    ['message.expiresAt', { ...msg('1'), expiresAt: Infinity }],
  ])('rejects an envelope with a bad %s', async (field, message) => {
    const { a, b } = setup();
    const seen: unknown[] = [];
    b.subscribe('t', (m) => void seen.push(m));
    await expectInvalid(a.publish('t', message as PluginMessage), field);
    await expectInvalid(a.publishToAllNodes('t', message as PluginMessage), field);
    await flushMicrotasks();
    expect(seen).toEqual([]);
    expect(federation.getStatistics().published).toBe(0);
  });

  it('rejects a payload that cannot be cloned, naming message.payload', async () => {
    const { a } = setup();
    await expectInvalid(a.publishToAllNodes('t', msg('1', { fn: () => 1 })), 'message.payload');
    expect(federation.pendingDeliveries).toBe(0);
  });

  it('rejects a non-function handler or listener', () => {
    const { a } = setup();
    expect(() => a.subscribe('t', 'nope' as never)).toThrow(expect.objectContaining({ field: 'handler' }));
    expect(() => a.onConnectionStateChange(undefined as never)).toThrow(expect.objectContaining({ field: 'listener' }));
  });

  it('refuses use after its node was removed', async () => {
    const { a } = setup();
    federation.removeNode('a');
    expect(a.closed).toBe(true);
    const err = await a.publish('t', msg('1')).catch((e: unknown) => e);
    expect(isBusClosedError(err)).toBe(true);
    expect((err as { reason: string }).reason).toBe('removed');
    expect(() => a.subscribe('t', () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_BUS_CLOSED' }));
    expect(() => a.onConnectionStateChange(() => undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_BUS_CLOSED' }),
    );
  });
});
