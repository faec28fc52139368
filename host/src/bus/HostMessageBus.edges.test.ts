import { describe, expect, it } from 'vitest';
import { InMemoryFederation, createPluginMessage } from '@datawarehouse/sdk';
import { HostMessageBus } from './HostMessageBus.js';

// Edge cases of the bus proxy found in review: use after dispose, transport swaps with messages in flight.

describe('HostMessageBus', () => {
  it('refuses a subscription after dispose with a coded error', () => {
    const federation = new InMemoryFederation();
    const bus = new HostMessageBus(federation.createNode('n1'));
    bus.dispose();
    expect(() => bus.subscribe('t', () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_BUS_CLOSED' }));
    federation.dispose();
  });

  it('releases the old transport once the message in flight on it arrived', async () => {
    const federation = new InMemoryFederation();
    const embedded = federation.createNode('n1');
    const bus = new HostMessageBus(embedded);
    bus.subscribe('t', () => undefined);
    void bus.publish('t', createPluginMessage('x', 1, { nodeId: 'n1', pluginId: 'p' }));
    const other = new InMemoryFederation();
    bus.provide(other.createNode('n1'), 'transport');
    expect(embedded.subscriberCount('t')).toBe(1);
    await federation.settle();
    await Promise.resolve();
    expect(embedded.subscriberCount('t')).toBe(0);
    federation.dispose();
    other.dispose();
  });

  it('a message published just before the transport is swapped still reaches the subscriber', async () => {
    const federation = new InMemoryFederation();
    const bus = new HostMessageBus(federation.createNode('n1'));
    const received: unknown[] = [];
    bus.subscribe('t', (m) => void received.push(m.payload));
    // Accepted by the old transport (delivery is queued), then the transport changes in the same tick.
    void bus.publish('t', createPluginMessage('x', 'in flight', { nodeId: 'n1', pluginId: 'p' }));
    const other = new InMemoryFederation();
    bus.provide(other.createNode('n1'), 'transport'); // documented: "no message window opens"
    await federation.settle();
    expect(received).toEqual(['in flight']);
    federation.dispose();
    other.dispose();
  });

  it('moves every subscription (and connection listeners) to a provided transport; disposing after the move releases the new one', async () => {
    const a = new InMemoryFederation();
    const b = new InMemoryFederation();
    const bus = new HostMessageBus(a.createNode('n1'));
    const got: string[] = [];
    const s1 = bus.subscribe('t', (m) => void got.push(`1:${String(m.payload)}`));
    bus.subscribe('t', (m) => void got.push(`2:${String(m.payload)}`));
    const transport = b.createNode('n1');
    bus.provide(transport, 'redis');
    await transport.publish('t', createPluginMessage('x', 'p', { nodeId: 'n1', pluginId: 'p' }));
    await b.settle();
    expect(got.sort()).toEqual(['1:p', '2:p']);
    s1.dispose();
    expect(transport.subscriberCount('t')).toBe(1);
    a.dispose();
    b.dispose();
  });
});
