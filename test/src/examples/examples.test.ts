import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateHostConfig } from '@datawarehouse/host';
import { afterAll, describe, expect, it } from 'vitest';
import { readMarkdown, repoRoot } from '../docs/markdown.js';
import { typecheck } from '../docs/typecheck.js';
import { POSTGRES_REQUIRED, pingPostgres } from '../downstreams/support/postgres.js';

// The examples run for real, as their READMEs say, and their output is compared with the output
// each README shows (`…` stands for anything: ports, timestamps, figures that vary). So an example
// that stops working, or a README that drifts from it, fails the suite.

const DEADLINE_MS = 30_000;
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <args>` from the repository root; resolves when it exits. With `stopWhen`, sends
 * SIGINT once stdout matches it (for a long-running host). Killed at the deadline.
 */
function runNode(args: readonly string[], stopWhen?: (stdout: string) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, DW_ADMIN_TOKEN: '' } });
    children.push(child);
    let stdout = '';
    let stderr = '';
    let stopping = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`node ${args.join(' ')}: no exit within ${DEADLINE_MS} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`),
      );
    }, DEADLINE_MS);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!stopping && stopWhen?.(stdout)) {
        stopping = true;
        child.kill('SIGINT');
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The lines of the README's first ```text block: the output it promises. */
function promisedOutput(example: string): string[] {
  const block = readMarkdown(`examples/${example}/README.md`).blocks.find((b) => b.lang === 'text');
  if (block === undefined) throw new Error(`examples/${example}/README.md shows no output block`);
  return block.code.split('\n').filter((l) => l.trim().length > 0);
}

/** A README line as a pattern: `…` matches anything, the rest literally. */
function linePattern(line: string): RegExp {
  return new RegExp(
    `^${line
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** The promised lines that match no line of `output` (stdout and stderr: log warnings go to stderr). */
function missingLines(promised: readonly string[], output: string): string[] {
  const lines = output.split('\n');
  return promised.filter((line) => {
    const pattern = linePattern(line);
    return !lines.some((l) => pattern.test(l));
  });
}

const tsx = ['--conditions=source', '--import', 'tsx'];
const built = ['host/dist/cli.js', 'sdk/dist/index.js', 'plugins/ultimate-resilience/dist/index.js'].every((f) =>
  existsSync(join(repoRoot, f)),
);

describe('examples/sdk-primitives', () => {
  it(
    'prints exactly the output its README shows',
    async () => {
      const run = await runNode([...tsx, 'examples/sdk-primitives/main.ts']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      const promised = promisedOutput('sdk-primitives');
      expect(lines).toHaveLength(promised.length);
      lines.forEach((line, i) => expect(line).toMatch(linePattern(promised[i]!)));
    },
    DEADLINE_MS,
  );
});

describe('examples/embed-host', () => {
  it(
    'serves through the embedded host, fails fast when the circuit opens, and stops cleanly',
    async () => {
      const run = await runNode([...tsx, 'examples/embed-host/main.ts']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      const promised = promisedOutput('embed-host');
      expect(lines).toHaveLength(promised.length);
      lines.forEach((line, i) => expect(line).toMatch(linePattern(promised[i]!)));
    },
    DEADLINE_MS,
  );
});

/**
 * Runs the built host on `examples/<name>/dw.config.json` until `ready(stdout)`, then checks it
 * printed every line the example's README promises (stdout or stderr) and stopped cleanly.
 */
async function expectHostExampleOutput(name: string, ready: (stdout: string) => boolean): Promise<void> {
  const run = await runNode(
    ['host/dist/cli.js', 'start', '--config', `examples/${name}/dw.config.json`, '--no-watch'],
    ready,
  );
  expect(
    missingLines(promisedOutput(name), `${run.stdout}\n${run.stderr}`),
    `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
  ).toEqual([]);
  expect(run.stdout).toContain('dw-host stopped');
  expect(run.code).toBe(0);
}

describe('examples/consumer-plugin', () => {
  // The built host, as `DW_CONFIG=examples/consumer-plugin/dw.config.json npm start` runs it
  // (`npm test` builds before the suites; `test:unit` alone skips this).
  it.skipIf(!built)(
    'runs with the host and prints the outcomes its README shows',
    async () => {
      await expectHostExampleOutput(
        'consumer-plugin',
        (out) => out.includes('orders done') && /\[status\] resilience\/orders-db /.test(out),
      );
    },
    DEADLINE_MS,
  );
});

describe('examples/postgres', async () => {
  // Against the machine's PostgreSQL (127.0.0.1:5432, database `test`): with CI=true it runs and
  // fails if the server is missing; otherwise it skips without one.
  const postgresUp = POSTGRES_REQUIRED || (await pingPostgres());
  it.skipIf(!built || !postgresUp)(
    'runs with the host against PostgreSQL, cancels the timed-out query on the server, and prints what its README shows',
    async () => {
      await expectHostExampleOutput('postgres', (out) =>
        /postgres example done[\s\S]*\[status\] resilience\/postgres /.test(out),
      );
    },
    DEADLINE_MS,
  );
});

describe('examples', () => {
  it('typecheck against the workspace packages (the JavaScript plugin through its JSDoc)', () => {
    const files = [
      'examples/sdk-primitives/main.ts',
      'examples/embed-host/main.ts',
      'examples/consumer-plugin/orders-plugin.js',
      'examples/postgres/postgres-plugin.js',
      'examples/postgres/pgQueryRunner.js',
    ];
    const problems = typecheck(
      files.map((f) => ({ fileName: join(repoRoot, f) })),
      { allowJs: true, checkJs: true },
    );
    expect(problems).toEqual([]);
  }, 120_000);

  it('ship valid host configurations', () => {
    const configs = readdirSync(join(repoRoot, 'examples'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json'))
      .map((f) => `examples/${f.split('\\').join('/')}`);
    expect(configs).toEqual(
      expect.arrayContaining([
        'examples/consumer-plugin/dw.config.json',
        'examples/postgres/dw.config.json',
        'examples/two-nodes/node-a.json',
      ]),
    );
    for (const config of configs) {
      const value = JSON.parse(readFileSync(join(repoRoot, config), 'utf8')) as { admin?: Record<string, unknown> };
      // The Compose nodes bind beyond loopback; their token comes from DW_ADMIN_TOKEN, which the
      // host merges before validating, as here.
      const withToken = config.includes('/compose-')
        ? { ...value, admin: { ...value.admin, token: 'from-DW_ADMIN_TOKEN' } }
        : value;
      expect(() => validateHostConfig(withToken, config), config).not.toThrow();
    }
  });

  it('two-nodes: compose.yaml names files that exist and a redis service with two hosts', () => {
    const compose = readFileSync(join(repoRoot, 'examples/two-nodes/compose.yaml'), 'utf8');
    const named = [...compose.matchAll(/(examples\/two-nodes\/[\w./-]+)/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(2);
    for (const file of named) expect(existsSync(join(repoRoot, file)), file).toBe(true);
    expect(compose).toMatch(/^ {2}redis:$/m);
    expect(compose).toMatch(/^ {2}node-a:$/m);
    expect(compose).toMatch(/^ {2}node-b:$/m);
    // The containers reach Redis by its service name.
    for (const node of ['a', 'b']) {
      expect(readFileSync(join(repoRoot, `examples/two-nodes/compose-node-${node}.json`), 'utf8')).toContain(
        'redis://redis:6379',
      );
    }
  });
});
