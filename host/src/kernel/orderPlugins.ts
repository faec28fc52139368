import { PluginDependencyCycleError, PluginMissingDependencyError } from './errors.js';

/** What ordering needs of a plugin. @since 6.0.0 */
export interface DependencyNode {
  readonly id: string;
  readonly dependencies?: readonly string[];
}

/**
 * Orders plugins so that each comes after everything it depends on; among plugins free to
 * go, configuration order is kept (a stable topological sort).
 *
 * @throws {@link PluginMissingDependencyError} naming the plugin and the absent dependency;
 * {@link PluginDependencyCycleError} listing one cycle (`a -> b -> a`).
 */
export function orderPlugins<T extends DependencyNode>(plugins: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const p of plugins) byId.set(p.id, p);
  for (const p of plugins) {
    for (const dep of p.dependencies ?? []) {
      if (!byId.has(dep)) throw new PluginMissingDependencyError(p.id, dep);
    }
  }
  const placed = new Set<string>();
  const ordered: T[] = [];
  let remaining = [...plugins];
  while (remaining.length > 0) {
    // Plugins are few (at most 64), so a quadratic scan that keeps configuration order is fine.
    const next = remaining.find((p) => (p.dependencies ?? []).every((d) => placed.has(d)));
    if (next === undefined) throw new PluginDependencyCycleError(findCycle(remaining, byId));
    placed.add(next.id);
    ordered.push(next);
    remaining = remaining.filter((p) => p !== next);
  }
  return ordered;
}

/** A cycle among `remaining` (every one of which waits on another), first id repeated at the end. */
function findCycle<T extends DependencyNode>(remaining: readonly T[], byId: ReadonlyMap<string, T>): string[] {
  const pending = new Set(remaining.map((p) => p.id));
  const path: string[] = [];
  const onPath = new Map<string, number>();
  // Walk from the first blocked plugin along blocked dependencies; with finitely many nodes
  // and each having one, the walk must revisit a node on its path.
  let current = remaining[0]!.id;
  for (;;) {
    const seenAt = onPath.get(current);
    if (seenAt !== undefined) return [...path.slice(seenAt), current];
    onPath.set(current, path.length);
    path.push(current);
    const deps = byId.get(current)?.dependencies ?? [];
    current = deps.find((d) => pending.has(d))!;
  }
}
