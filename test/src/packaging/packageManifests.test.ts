import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The published manifests: what a consumer's resolver sees once a package is installed from its
// tarball, where no `source` condition applies and only `files` is shipped.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const packageFolders = [
  'sdk',
  'plugins/ultimate-resilience',
  'plugins/federation-redis',
  'plugins/demo-traffic',
  'plugins/dashboard',
  'host',
];

interface Manifest {
  readonly name: string;
  readonly type?: string;
  readonly license?: string;
  readonly engines?: Readonly<Record<string, string>>;
  readonly sideEffects?: boolean | readonly string[];
  readonly main?: string;
  readonly types?: string;
  readonly files?: readonly string[];
  readonly bin?: Readonly<Record<string, string>>;
  readonly exports?: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  readonly dependencies?: Readonly<Record<string, string>>;
}

const packages = packageFolders.map((folder) => ({
  folder,
  manifest: JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as Manifest,
}));

/** The conditional entries of `exports` (the `./package.json` passthrough excluded). */
function entries(manifest: Manifest): [string, Readonly<Record<string, string>>][] {
  return Object.entries(manifest.exports ?? {}).flatMap(([subpath, target]) =>
    typeof target === 'string' ? [] : [[subpath, target] as [string, Readonly<Record<string, string>>]],
  );
}

// `./internals` is declared before its src/internals.ts exists (#14); until that file lands the
// entry may be missing on both sides. Drop this exception once every package has the file.
function pendingInternals(folder: string, subpath: string, target: Readonly<Record<string, string>>): boolean {
  return subpath === './internals' && !existsSync(join(root, folder, target.source ?? './src/internals.ts'));
}

describe('published package manifests', () => {
  it.each(packages)('$manifest.name declares type, license, engines and sideEffects', ({ manifest }) => {
    expect(manifest.type).toBe('module');
    expect(manifest.license).toBe('MIT');
    expect(manifest.engines).toEqual({ node: '>=20' });
    expect(manifest.sideEffects === false || Array.isArray(manifest.sideEffects)).toBe(true);
  });

  it.each(packages)('$manifest.name ships dist without build info and sources without tests', ({ manifest }) => {
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', '!dist/.tsbuildinfo', 'src', '!src/**/*.test.ts']));
  });

  it.each(packages)('$manifest.name maps every export to dist, types before default', ({ manifest }) => {
    expect(entries(manifest).length).toBeGreaterThan(0);
    for (const [subpath, target] of entries(manifest)) {
      const conditions = Object.keys(target).filter((c) => c !== 'source');
      expect(conditions, subpath).toEqual(['types', 'default']);
      expect(target.types, subpath).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(target.default, subpath).toMatch(/^\.\/dist\/.+\.js$/);
      expect(target.default?.replace(/\.js$/, '.d.ts'), subpath).toBe(target.types);
    }
    const main = manifest.exports?.['.'];
    expect(typeof main === 'object' && main.default).toBe(manifest.main);
    expect(typeof main === 'object' && main.types).toBe(manifest.types);
  });

  it.each(packages)('$manifest.name depends on its workspace siblings as workspace:*', ({ manifest }) => {
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      if (name.startsWith('@datawarehouse/')) expect(range, name).toBe('workspace:*');
    }
  });

  it("ships the dashboard's page files and depends on uPlot, whose dist files it serves", () => {
    const dashboard = packages.find((p) => p.folder === 'plugins/dashboard')!.manifest;
    expect(dashboard.files).toContain('assets');
    expect(dashboard.dependencies?.uplot).toBeDefined();
    for (const file of ['index.html', 'app.js', 'tiles.js', 'sse.js', 'dashboard.css']) {
      expect(existsSync(join(root, 'plugins/dashboard/assets', file)), file).toBe(true);
    }
  });

  it('links the host binary to a committed shim, so installing before a build links it', () => {
    const host = packages.find((p) => p.folder === 'host')!.manifest;
    for (const target of Object.values(host.bin ?? {})) {
      expect(target.startsWith('./dist/')).toBe(false);
      expect(readFileSync(join(root, 'host', target), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    }
  });
});

// After `npm run build` (the test script builds first), every target must be there; `test:unit`
// runs without a build, so this part skips then, as the e2e suites do.
const built = packageFolders.every((folder) => existsSync(join(root, folder, 'dist', 'index.js')));

describe.skipIf(!built)('published package manifests after a build', () => {
  it.each(packages)('$manifest.name resolves every export condition to an existing file', ({ folder, manifest }) => {
    for (const [subpath, target] of entries(manifest)) {
      if (pendingInternals(folder, subpath, target)) continue;
      for (const [condition, file] of Object.entries(target)) {
        expect(existsSync(join(root, folder, file)), `${subpath} ${condition} ${file}`).toBe(true);
      }
    }
  });

  it.each(packages)('$manifest.name lists side-effect files that exist', ({ folder, manifest }) => {
    if (!Array.isArray(manifest.sideEffects)) return;
    for (const file of manifest.sideEffects) expect(existsSync(join(root, folder, file)), file).toBe(true);
  });
});
