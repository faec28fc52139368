import { describe, expect, it } from 'vitest';
import { InMemoryFederation, createPluginMessage } from '@datawarehouse/sdk';
import type { BusConnectionState } from '@datawarehouse/sdk';
import { HostMessageBus } from './HostMessageBus.js';

const msg = (payload: unknown) => createPluginMessage('test', payload, { nodeId: 'n1', pluginId: 'test' });

describe('HostMessageBus', () => {
  it('forwards publish and subscribe to the embedded transport', async () => {
    const federation = new InMemoryFederation();
    const bus = new HostMessageBus(federation.createNode('n1'));
    const got: unknown[] = [];
    const sub = bus.subscribe('t', (m) => void got.push(m.payload));
    await bus.publish('t', msg(1));
    await federation.settle();
    sub.dispose();
    await bus.publish('t', msg(2));
    await federation.settle();
    expect(got).toEqual([1]);
    expect(bus.nodeId).toBe('n1');
    expect(bus.subscriptionCount).toBe(0);
  });

  it('moves existing subscriptions to a provided transport and sends later traffic there', async () => {
    const embedded = new InMemoryFederation();
    const cluster = new InMemoryFederation();
    const bus = new HostMessageBus(embedded.createNode('n1'));
    const peer = cluster.createNode('n2');
    const got: unknown[] = [];
    bus.subscribe('t', (m) => void got.push(m.payload));
    const transport = cluster.createNode('n1');
    bus.provide(transport, 'federation-redis');
    expect(bus.providedBy).toBe('federation-redis');
    expect(embedded.getNode('n1')!.subscriberCount()).toBe(0);
    await peer.publishToAllNodes('t', msg('from peer'));
    await cluster.settle();
    expect(got).toEqual(['from peer']);
    const peerGot: unknown[] = [];
    peer.subscribe('u', (m) => void peerGot.push(m.payload));
    await bus.publishToAllNodes('u', msg('to peer'));
    await cluster.settle();
    expect(peerGot).toEqual(['to peer']);
  });

  it('refuses a transport of another node and a second provider', () => {
    const federation = new InMemoryFederation();
    const bus = new HostMessageBus(federation.createNode('n1'));
    const other = new InMemoryFederation();
    expect(() => bus.provide(other.createNode('n2'), 'x')).toThrow(expect.objectContaining({ field: 'bus.nodeId' }));
    bus.provide(other.createNode('n1'), 'x');
    const third = new InMemoryFederation();
    expect(() => bus.provide(third.createNode('n1'), 'y')).toThrow(
      expect.objectContaining({ field: 'provideMessageBus' }),
    );
    expect(() => bus.provide({} as never, 'x')).toThrow(expect.objectContaining({ field: 'bus.nodeId' }));
  });

  it('reports connection-state changes of the current transport only', () => {
    const a = new InMemoryFederation();
    const b = new InMemoryFederation();
    const bus = new HostMessageBus(a.createNode('n1'));
    const states: BusConnectionState[] = [];
    bus.onConnectionStateChange((s) => void states.push(s));
    a.disconnect('n1');
    expect(states).toEqual(['disconnected']);
    bus.provide(b.createNode('n1'), 'x');
    expect(states).toEqual(['disconnected', 'connected']);
    a.reconnect('n1');
    b.disconnect('n1');
    expect(states).toEqual(['disconnected', 'connected', 'disconnected']);
    expect(bus.connectionState).toBe('disconnected');
  });

  it('isolates a throwing connection listener', () => {
    const a = new InMemoryFederation();
    const bus = new HostMessageBus(a.createNode('n1'));
    const states: string[] = [];
    bus.onConnectionStateChange(() => {
      throw new Error('listener bug');
    });
    bus.onConnectionStateChange((s) => void states.push(s));
    a.disconnect('n1');
    expect(states).toEqual(['disconnected']);
  });
});
