#!/usr/bin/env node
// The `dw-host` binary. A committed shim, so package managers can link the bin at install time,
// before `dist/` is built; the CLI itself is dist/cli.js.
import { existsSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(`dw-host: ${fileURLToPath(cli)} is missing; build first (npm run build).`);
  process.exit(1);
}
await import(cli.href);
