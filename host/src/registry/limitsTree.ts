/**
 * Operations on limits as JSON trees (`ScalingLimits` and its sections): a plain object is a
 * branch, anything else — number, string, boolean, array, `null` — and an empty object is a
 * leaf. Nothing here changes its inputs.
 * @internal
 */
export type LimitsTree = Readonly<Record<string, unknown>>;

/** A leaf's key path from the root, e.g. `['strategies', 'db', 'bulkhead', 'maxConcurrency']`. @internal */
export type LeafPath = readonly string[];

function isBranch(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The paths of every leaf of `tree` (members that are `undefined` are absent). @internal */
export function leafPaths(tree: LimitsTree): LeafPath[] {
  const out: LeafPath[] = [];
  const walk = (node: Readonly<Record<string, unknown>>, prefix: readonly string[]): void => {
    for (const [key, value] of Object.entries(node)) {
      if (value === undefined) continue;
      if (isBranch(value)) walk(value, [...prefix, key]);
      else out.push([...prefix, key]);
    }
  };
  walk(tree, []);
  return out;
}

/** The value at `path`, or `undefined` when `tree` has none there. @internal */
export function valueAt(tree: LimitsTree, path: LeafPath): unknown {
  let node: unknown = tree;
  for (const key of path) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** A copy of `tree` with `value` at `path` (missing branches created, leaves in the way replaced). @internal */
export function withValue(tree: LimitsTree, path: LeafPath, value: unknown): Record<string, unknown> {
  const [key, ...rest] = path;
  if (key === undefined) return { ...tree };
  const child = tree[key];
  return { ...tree, [key]: rest.length === 0 ? value : withValue(isObject(child) ? child : {}, rest, value) };
}

/**
 * A copy of `tree` without the value at `path`; branches left empty by the removal are
 * removed too, so the result is what it would be had the value never been set.
 * @internal
 */
export function withoutValue(tree: LimitsTree, path: LeafPath): Record<string, unknown> {
  const [key, ...rest] = path;
  const copy: Record<string, unknown> = { ...tree };
  if (key === undefined || !Object.hasOwn(copy, key)) return copy;
  if (rest.length === 0) {
    delete copy[key];
    return copy;
  }
  const child = copy[key];
  if (!isObject(child)) return copy;
  const next = withoutValue(child, rest);
  if (Object.keys(next).length === 0 && Object.keys(child).length > 0) delete copy[key];
  else copy[key] = next;
  return copy;
}

/** `base` with every leaf of `patch` set over it: objects merge field by field at every depth. @internal */
export function mergeTrees(base: LimitsTree, patch: LimitsTree): Record<string, unknown> {
  let out: Record<string, unknown> = { ...base };
  for (const path of leafPaths(patch)) out = withValue(out, path, valueAt(patch, path));
  return out;
}

/** Deep equality of two JSON trees (`undefined` members count as absent). @internal */
export function treesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => treesEqual(v, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
  return keysA.length === keysB.length && keysA.every((k) => Object.hasOwn(b, k) && treesEqual(a[k], b[k]));
}
