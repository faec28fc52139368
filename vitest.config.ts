import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources ("source" export condition),
// so unit tests never need a build. The e2e suites spawn the built CLI instead.
export default defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'default'] },
  // No 'module' here: vitest hands these to Node as --conditions, and a CommonJS require of a package
  // whose "module" build is ESM with extension-less imports then fails (prom-client → @opentelemetry/api).
  ssr: { resolve: { conditions: ['source', 'node', 'default'], externalConditions: ['source'] } },
  test: {
    include: ['sdk/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'host/src/**/*.test.ts', 'test/src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
