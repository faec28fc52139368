import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '@datawarehouse/sdk';
import { FaultProxy } from './FaultProxy.js';
import { waitUntil } from './support/waitUntil.js';

// Real sockets on 127.0.0.1; the proxy's latency and bandwidth run on a VirtualClock, so what is
// asserted is "not delivered before its time, delivered at it", never a measured duration. The
// only real waiting is for socket I/O (waitUntil polls with a deadline).

interface Echo {
  readonly server: Server;
  readonly port: number;
  /** Connections the echo server accepted. */
  accepted: number;
  readonly sockets: Set<Socket>;
}

async function startEcho(): Promise<Echo> {
  const echo = { accepted: 0, sockets: new Set<Socket>() } as Echo & { server: Server; port: number };
  const server = createServer((socket) => {
    echo.accepted++;
    echo.sockets.add(socket);
    socket.on('close', () => echo.sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(echo, { server, port: (server.address() as AddressInfo).port });
}

interface Client {
  readonly socket: Socket;
  received: Buffer;
  error: (Error & { code?: string }) | undefined;
  closed: boolean;
  connected: boolean;
}

function connect(port: number): Client {
  const socket = createConnection({ host: '127.0.0.1', port });
  const client: Client = { socket, received: Buffer.alloc(0), error: undefined, closed: false, connected: false };
  socket.on('connect', () => (client.connected = true));
  socket.on('data', (d: Buffer) => (client.received = Buffer.concat([client.received, d])));
  socket.on('error', (e) => (client.error = e));
  socket.on('close', () => (client.closed = true));
  return client;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(clock?: VirtualClock) {
  const echo = await startEcho();
  const proxy = await FaultProxy.startAsync({ host: '127.0.0.1', port: echo.port }, { clock });
  cleanup.push(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));
  cleanup.push(() => {
    for (const s of echo.sockets) s.destroy();
  });
  cleanup.push(() => proxy.closeAsync());
  return { echo, proxy };
}

describe('FaultProxy', () => {
  it('forwards bytes both ways unchanged when healthy (1 MiB round trip)', async () => {
    const { proxy } = await setup();
    const payload = randomBytes(1 << 20);
    const client = connect(proxy.port);
    client.socket.write(payload);
    await waitUntil(() => client.received.length >= payload.length, 'the echo of 1 MiB');
    expect(client.received.equals(payload)).toBe(true);
    expect(proxy.stats.forwardedBytes).toBe(2 * payload.length);
    client.socket.destroy();
    await waitUntil(() => proxy.openConnections === 0, 'the proxy to drop the closed connection');
  });

  it('delays each direction by latencyMs, in virtual time', async () => {
    const clock = new VirtualClock(0);
    const { proxy } = await setup(clock);
    proxy.set({ latencyMs: 100 });
    const client = connect(proxy.port);
    client.socket.write('ping');
    await waitUntil(() => clock.pendingTimers === 1, 'the chunk to reach the proxy');
    clock.advance(99);
    await new Promise((r) => setTimeout(r, 20));
    expect(proxy.stats.forwardedBytes).toBe(0);
    clock.advance(1); // delivered upstream; the echo comes back and waits 100 ms more
    await waitUntil(() => clock.pendingTimers === 1 && proxy.stats.forwardedBytes === 4, 'the echo to reach the proxy');
    clock.advance(99);
    await new Promise((r) => setTimeout(r, 20));
    expect(client.received.toString()).toBe('');
    clock.advance(1);
    await waitUntil(() => client.received.toString() === 'ping', 'the echo');
    client.socket.destroy();
  });

  it('limits each direction to bytesPerSecond, keeping order', async () => {
    const clock = new VirtualClock(0);
    const { proxy } = await setup(clock);
    proxy.set({ bytesPerSecond: 1_000 });
    const client = connect(proxy.port);
    const payload = Buffer.from('a'.repeat(250) + 'b'.repeat(250));
    client.socket.write(payload);
    await waitUntil(() => clock.pendingTimers === 1, 'the chunks to reach the proxy');
    clock.advance(499); // 500 bytes at 1000 B/s take 500 ms to leave
    await new Promise((r) => setTimeout(r, 20));
    expect(proxy.stats.forwardedBytes).toBeLessThan(500);
    clock.advance(1);
    await waitUntil(() => proxy.stats.forwardedBytes === 500 && clock.pendingTimers === 1, 'the echo to reach it');
    clock.advance(500);
    await waitUntil(() => client.received.length === 500, 'the echo');
    expect(client.received.equals(payload)).toBe(true);
    client.socket.destroy();
  });

  it('blackhole: accepts connections but never answers nor forwards them, and drops data on open ones', async () => {
    const { echo, proxy } = await setup();
    const before = connect(proxy.port);
    before.socket.write('x');
    await waitUntil(() => before.received.toString() === 'x', 'a healthy echo');
    proxy.set({ blackhole: true });
    before.socket.write('lost');
    const during = connect(proxy.port);
    await waitUntil(() => during.connected, 'the blackholed connection to be accepted');
    during.socket.write('never');
    await waitUntil(() => proxy.stats.droppedBytes === 'lost'.length + 'never'.length, 'the drops');
    expect(proxy.openConnections).toBe(2);
    expect(proxy.connectionsWithData).toBe(2);
    expect(echo.accepted).toBe(1); // the blackholed connection never reached the target
    expect(before.received.toString()).toBe('x');
    expect(during.received.length).toBe(0);
    expect(during.closed).toBe(false);

    proxy.heal();
    const after = connect(proxy.port);
    await waitUntil(() => after.connected && proxy.openConnections === 3, 'a third connection');
    expect(proxy.connectionsWithData).toBe(2); // connected, nothing sent yet
    after.socket.write('back');
    await waitUntil(() => after.received.toString() === 'back', 'an echo after heal');
    expect(echo.accepted).toBe(2);
    for (const c of [before, during, after]) c.socket.destroy();
    await waitUntil(() => proxy.openConnections === 0 && echo.sockets.size === 0, 'every connection closed');
  });

  it('resets open connections on demand, and new ones while resetNewConnections is on', async () => {
    const { echo, proxy } = await setup();
    const open = connect(proxy.port);
    open.socket.write('x');
    await waitUntil(() => open.received.length === 1, 'an echo');
    expect(proxy.resetAll()).toBe(1);
    await waitUntil(() => open.closed, 'the reset connection to close');
    expect(open.error?.code).toBe('ECONNRESET');
    await waitUntil(() => echo.sockets.size === 0, 'its upstream connection to close');

    proxy.set({ resetNewConnections: true });
    const refused = connect(proxy.port);
    await waitUntil(() => refused.closed, 'the new connection to be reset');
    expect(refused.error?.code).toBe('ECONNRESET');
    expect(proxy.stats.reset).toBe(2);
    expect(echo.accepted).toBe(1);
  });

  it('switches faults at runtime, keeps chunk order when latency drops, and heal() removes them all', async () => {
    const clock = new VirtualClock(0);
    const { proxy } = await setup(clock);
    const client = connect(proxy.port);
    await waitUntil(() => client.connected, 'a connection');
    proxy.set({ latencyMs: 1_000 });
    client.socket.write('first-');
    await waitUntil(() => clock.pendingTimers === 1, 'the first chunk');
    proxy.set({ latencyMs: 0 }); // a later chunk must not overtake the first
    client.socket.write('second');
    await new Promise((r) => setTimeout(r, 20));
    expect(proxy.stats.forwardedBytes).toBe(0);
    clock.advance(1_000);
    await waitUntil(() => client.received.toString() === 'first-second', 'both chunks, in order');
    proxy.set({ bytesPerSecond: 1, blackhole: true });
    proxy.heal();
    expect(proxy.faults).toEqual({
      latencyMs: 0,
      bytesPerSecond: Infinity,
      blackhole: false,
      resetNewConnections: false,
    });
    client.socket.write('!');
    await waitUntil(() => client.received.toString() === 'first-second!', 'an undelayed echo');
    client.socket.destroy();
  });

  it('refuses invalid faults and keeps the previous ones', async () => {
    const { proxy } = await setup();
    proxy.set({ latencyMs: 5 });
    for (const bad of [
      { latencyMs: -1 },
      { latencyMs: NaN },
      { latencyMs: Infinity },
      { bytesPerSecond: 0 },
      { bytesPerSecond: NaN },
      { blackhole: 'yes' as unknown as boolean },
      { resetNewConnections: 1 as unknown as boolean },
    ]) {
      expect(() => proxy.set(bad), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(proxy.faults.latencyMs).toBe(5);
  });

  it('closes every connection and cancels every pending delivery on close', async () => {
    const clock = new VirtualClock(0);
    const echo = await startEcho();
    const proxy = await FaultProxy.startAsync({ host: '127.0.0.1', port: echo.port }, { clock });
    proxy.set({ latencyMs: 10_000 });
    const client = connect(proxy.port);
    client.socket.write('pending');
    await waitUntil(() => clock.pendingTimers === 1, 'a pending delivery');
    await proxy.closeAsync();
    expect(clock.pendingTimers).toBe(0);
    await waitUntil(() => client.closed && echo.sockets.size === 0, 'both sides closed');
    await new Promise<void>((resolve) => echo.server.close(() => resolve()));
  });
});
