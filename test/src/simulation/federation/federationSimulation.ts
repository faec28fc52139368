import { InMemoryFederation, SeededRandom, VirtualClock } from '@datawarehouse/sdk';
import type { IFederatedMessageBus, PluginMessage } from '@datawarehouse/sdk';
import { CircuitStateReplicator } from '@datawarehouse/plugin-ultimate-resilience/internals';
import { LightCircuits } from './LightCircuits.js';

/** One run of the federation simulation. */
export interface FederationSimulationOptions {
  readonly nodes: number;
  readonly strategies: number;
  readonly antiEntropy: 'digest' | 'full';
  readonly seed?: number;
  /** Anti-entropy period, virtual ms. Default 30 000 (the default of the option). */
  readonly antiEntropyIntervalMs?: number;
  /** Steady state measured over this long (virtual ms). Default 5 rounds. */
  readonly steadyMs?: number;
  /** Writes made on each side of the partition while it lasts. Default 1 % of the strategies. */
  readonly writesPerSide?: number;
}

/** What a run measured (virtual time; bytes are JSON of the messages as published). */
export interface FederationSimulationResult {
  readonly nodes: number;
  readonly strategies: number;
  readonly antiEntropy: 'digest' | 'full';
  /** Bytes per second per node at steady state (no transitions): sent, and received from the others. */
  readonly steadySentBytesPerSecPerNode: number;
  readonly steadyReceivedBytesPerSecPerNode: number;
  /** Time from the partition healing to every node holding the same registers, virtual ms. */
  readonly convergenceMs: number | undefined;
  /** The part of it after the first anti-entropy round that followed the heal (the protocol's own time). */
  readonly afterRoundMs: number | undefined;
  /** Bytes sent by all nodes from the heal to convergence. */
  readonly healBytesSent: number;
  readonly healMessages: number;
  /** Wall-clock time of the run, ms (for scale). */
  readonly wallMs: number;
}

/**
 * 100 nodes × 10 000 strategies (or fewer) on the in-memory federation, in virtual time, with
 * 1–5 ms delivery delays and 0.5 % loss: the nodes converge on an initial state, run at steady
 * state (measuring bytes/s per node), are split in two halves that each make writes, then
 * healed; the time until every node holds the same registers is the convergence time.
 */
export async function runFederationSimulation(o: FederationSimulationOptions): Promise<FederationSimulationResult> {
  const started = performance.now();
  const seed = o.seed ?? 7;
  const interval = o.antiEntropyIntervalMs ?? 30_000;
  const clock = new VirtualClock(1_000_000);
  const federation = new InMemoryFederation({ clock, seed });
  const random = new SeededRandom(seed + 1);
  let sentBytes = 0;
  let sentMessages = 0;
  const receivedBytes = new Map<string, number>();
  const ids = Array.from({ length: o.nodes }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  const nodes = ids.map((id) => {
    const bus = federation.createNode(id);
    receivedBytes.set(id, 0);
    // The node's bus, counting the bytes of what it publishes and who can receive them.
    const counted: IFederatedMessageBus = {
      nodeId: id,
      get connectionState() {
        return bus.connectionState;
      },
      publish: (topic, message) => bus.publish(topic, message),
      subscribe: (topic, handler) => bus.subscribe(topic, handler),
      onConnectionStateChange: (listener) => bus.onConnectionStateChange(listener),
      publishToAllNodes: (topic: string, message: PluginMessage) => {
        const bytes = Buffer.byteLength(JSON.stringify(message));
        sentBytes += bytes;
        sentMessages++;
        for (const other of ids) {
          if (other !== id && federation.isReachable(id, other))
            receivedBytes.set(other, receivedBytes.get(other)! + bytes);
        }
        return bus.publishToAllNodes(topic, message);
      },
    };
    const circuits = new LightCircuits(clock, o.strategies);
    const replicator = new CircuitStateReplicator({
      circuits,
      bus: counted,
      clock,
      wallClock: () => clock.now(),
      random: () => random.next(),
      options: { antiEntropyIntervalMs: interval, antiEntropy: o.antiEntropy, syncOnStart: false },
    });
    return { id, circuits, replicator };
  });
  for (const n of nodes) n.replicator.start();
  const startedAt = clock.now();
  const settle = (ms: number) => clock.advanceAsync(ms);
  const write = (n: (typeof nodes)[number], k: number) => {
    for (let i = 0; i < k; i++) {
      const id = n.circuits.ids[random.nextInt(o.strategies)]!;
      n.circuits.transition(id, random.next() < 0.5 ? 'open' : 'closed');
    }
  };
  // Initial state: 10 % of the strategies written by random nodes, no faults, then converged.
  for (let i = 0; i < o.strategies / 10; i++) write(nodes[random.nextInt(o.nodes)]!, 1);
  await settle(50);
  federation.setFaults({ minDelayMs: 1, maxDelayMs: 5, dropRate: 0.005 });
  await settle(2 * interval);

  // Steady state: no transitions.
  const steadyMs = o.steadyMs ?? 5 * interval;
  const sent0 = sentBytes;
  const received0 = [...receivedBytes.values()].reduce((a, b) => a + b, 0);
  await settle(steadyMs);
  const steadySent = (sentBytes - sent0) / o.nodes / (steadyMs / 1000);
  const steadyReceived =
    ([...receivedBytes.values()].reduce((a, b) => a + b, 0) - received0) / o.nodes / (steadyMs / 1000);

  // Partition into halves; each side writes; heal.
  const half = Math.floor(o.nodes / 2);
  federation.partition([ids.slice(0, half), ids.slice(half)]);
  const writes = o.writesPerSide ?? Math.max(1, Math.floor(o.strategies / 100));
  write(nodes[0]!, writes);
  write(nodes[half]!, writes);
  await settle(interval / 2);
  federation.heal();
  const healedAt = clock.now();
  const healSent0 = sentBytes;
  const healMessages0 = sentMessages;
  let convergenceMs: number | undefined;
  // Nothing can happen before the next anti-entropy round: go there, then look every 10 ms.
  const nextRound = startedAt + Math.ceil((healedAt - startedAt) / interval) * interval;
  await settle(nextRound - healedAt);
  const step = 10;
  for (let t = 0; t < 3 * interval; t += step) {
    if (converged(nodes, o.strategies)) {
      convergenceMs = clock.now() - healedAt;
      break;
    }
    await settle(step);
  }
  const result: FederationSimulationResult = {
    nodes: o.nodes,
    strategies: o.strategies,
    antiEntropy: o.antiEntropy,
    steadySentBytesPerSecPerNode: Math.round(steadySent),
    steadyReceivedBytesPerSecPerNode: Math.round(steadyReceived),
    convergenceMs,
    afterRoundMs: convergenceMs === undefined ? undefined : convergenceMs - (nextRound - healedAt),
    healBytesSent: sentBytes - healSent0,
    healMessages: sentMessages - healMessages0,
    wallMs: Math.round(performance.now() - started),
  };
  for (const n of nodes) n.replicator.dispose();
  return result;
}

function converged(
  nodes: readonly { replicator: CircuitStateReplicator; circuits: LightCircuits }[],
  strategies: number,
): boolean {
  const first = nodes[0]!;
  for (let s = 0; s < strategies; s++) {
    const id = `s${s}`;
    const r = first.replicator.registerOf(id);
    for (let i = 1; i < nodes.length; i++) {
      const other = nodes[i]!.replicator.registerOf(id);
      if (other?.lamport !== r?.lamport || other?.origin !== r?.origin) return false;
    }
  }
  return true;
}
