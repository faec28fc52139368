import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file the dashboard serves. @since 6.1.0 */
export interface DashboardAsset {
  readonly body: Uint8Array;
  readonly contentType: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** uPlot's browser build and stylesheet, served under `vendor/`. */
const VENDOR = ['uplot/dist/uPlot.iife.min.js', 'uplot/dist/uPlot.min.css'];

/** The package's `assets/` folder: next to `src/` and `dist/`, so the same from either. @since 6.1.0 */
export const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

/**
 * Reads the page's files once: every file of `assets/` with a known type (by name), and uPlot's
 * dist files from the installed package (`vendor/<file>`). In `index.html`, `{{BASE}}` becomes
 * the plugin's path prefix, so the page works whatever its URL ends with.
 * @throws the read error when a file is missing (the package is incomplete).
 * @since 6.1.0
 */
export function loadDashboardAssets(base: string, dir = ASSETS_DIR): ReadonlyMap<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  for (const name of readdirSync(dir)) {
    const contentType = TYPES[extname(name)];
    if (contentType === undefined) continue;
    let body: Uint8Array = readFileSync(join(dir, name));
    if (name === 'index.html') body = Buffer.from(body.toString().replaceAll('{{BASE}}', base));
    assets.set(name, { body, contentType });
  }
  const require = createRequire(import.meta.url);
  for (const file of VENDOR) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    assets.set(`vendor/${name}`, { body: readFileSync(require.resolve(file)), contentType: TYPES[extname(name)]! });
  }
  return assets;
}
