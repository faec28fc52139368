import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPluginDependencyCycleError, isPluginMissingDependencyError } from './errors.js';
import { orderPlugins } from './orderPlugins.js';

describe('orderPlugins', () => {
  it('keeps configuration order when nothing forces another', () => {
    const ordered = orderPlugins([{ id: 'x' }, { id: 'y' }, { id: 'z' }]);
    expect(ordered.map((p) => p.id)).toEqual(['x', 'y', 'z']);
  });

  it('moves a plugin after its dependencies', () => {
    const ordered = orderPlugins([{ id: 'demo', dependencies: ['res'] }, { id: 'res' }]);
    expect(ordered.map((p) => p.id)).toEqual(['res', 'demo']);
  });

  it('names the plugin and the missing dependency', () => {
    let error: unknown;
    try {
      orderPlugins([{ id: 'demo', dependencies: ['ultimate-resilience'] }]);
    } catch (e) {
      error = e;
    }
    expect(isPluginMissingDependencyError(error)).toBe(true);
    expect((error as Error).message).toBe("Plugin 'demo' depends on 'ultimate-resilience', which is not configured");
  });

  it('lists a cycle, including a self-dependency', () => {
    expect(() => orderPlugins([{ id: 'a', dependencies: ['a'] }])).toThrow(
      expect.objectContaining({ code: 'ERR_PLUGIN_DEPENDENCY_CYCLE', cycle: ['a', 'a'] }),
    );
    expect(() =>
      orderPlugins([
        { id: 'free' },
        { id: 'a', dependencies: ['b'] },
        { id: 'b', dependencies: ['c'] },
        { id: 'c', dependencies: ['a'] },
      ]),
    ).toThrow('Plugin dependencies form a cycle: a -> b -> c -> a');
  });

  it('orders every acyclic graph so that dependencies come first (property)', () => {
    // Random DAG: plugin i may only depend on plugins with a smaller index, then shuffled.
    const dag = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc
        .tuple(
          fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n }),
          fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
        )
        .map(([deps, order]) =>
          order.map((i) => ({
            id: `p${i}`,
            dependencies: i === 0 ? [] : [...new Set(deps[i]!.map((d) => `p${d % i}`))],
          })),
        ),
    );
    fc.assert(
      fc.property(dag, (plugins) => {
        const ordered = orderPlugins(plugins);
        expect(ordered).toHaveLength(plugins.length);
        const position = new Map(ordered.map((p, i) => [p.id, i]));
        for (const p of ordered)
          for (const d of p.dependencies) expect(position.get(d)!).toBeLessThan(position.get(p.id)!);
      }),
    );
  });

  it('detects a cycle whenever one exists (property)', () => {
    const cyclic = fc
      .integer({ min: 1, max: 8 })
      .map((n) => [...Array(n).keys()].map((i) => ({ id: `p${i}`, dependencies: [`p${(i + 1) % n}`] })));
    fc.assert(
      fc.property(cyclic, (plugins) => {
        let error: unknown;
        try {
          orderPlugins(plugins);
        } catch (e) {
          error = e;
        }
        expect(isPluginDependencyCycleError(error)).toBe(true);
        const cycle = (error as { cycle: string[] }).cycle;
        expect(cycle[0]).toBe(cycle[cycle.length - 1]);
        expect(cycle).toHaveLength(plugins.length + 1);
      }),
    );
  });
});
