import { join } from 'node:path';
import { validateHostConfig } from '@datawarehouse/host';
import { StrategyRegistry } from '@datawarehouse/plugin-ultimate-resilience';
import type { StrategyDefinition } from '@datawarehouse/plugin-ultimate-resilience';
import { describe, expect, it } from 'vitest';
import { documentationFiles, readMarkdown, repoRoot } from './markdown.js';
import type { CodeBlock, MarkdownFile } from './markdown.js';
import { typecheck } from './typecheck.js';
import type { CheckedSource } from './typecheck.js';

// Code in the documentation is checked like code: every ```ts block is typechecked against the
// workspace packages (as its own module, so blocks may use top-level await), and every ```json
// block must parse; a host configuration or a resilience plugin entry must also validate.
// A ```ts block that is only a fragment may be marked ```ts no-check — keep such marks rare.

const docs: MarkdownFile[] = documentationFiles().map(readMarkdown);
const TS_LANGS = new Set(['ts', 'typescript']);
const MAX_UNCHECKED = 3;

function where(doc: MarkdownFile, block: CodeBlock, offset = 0): string {
  return `${doc.path}:${block.line + offset}`;
}

describe('documentation code blocks', () => {
  it('finds the documents and their TypeScript blocks', () => {
    expect(docs.map((d) => d.path)).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/architecture.md']),
    );
    expect(docs.flatMap((d) => d.blocks).filter((b) => TS_LANGS.has(b.lang)).length).toBeGreaterThan(3);
  });

  it('typechecks every ts block against the workspace packages', () => {
    const sources: CheckedSource[] = [];
    for (const doc of docs) {
      for (const block of doc.blocks) {
        if (!TS_LANGS.has(block.lang) || block.flags.includes('no-check')) continue;
        sources.push({
          // A folder inside the repository, so imports resolve as they would for a file there.
          fileName: join(repoRoot, '.docs-check', doc.path, `block-${block.line}.ts`),
          // Each block is a module of its own (top-level await, no clashes between blocks).
          text: `${block.code}\nexport {};\n`,
          describe: (line) => where(doc, block, line),
        });
      }
    }
    // Snippets may leave a value unused; everything else is as strict as the sources.
    expect(typecheck(sources, { noUnusedLocals: false, noUnusedParameters: false })).toEqual([]);
  }, 120_000);

  it('keeps unchecked ts blocks rare', () => {
    const unchecked = docs.flatMap((doc) =>
      doc.blocks.filter((b) => TS_LANGS.has(b.lang) && b.flags.includes('no-check')).map((b) => where(doc, b)),
    );
    expect(unchecked.length, `unchecked blocks: ${unchecked.join(', ')}`).toBeLessThanOrEqual(MAX_UNCHECKED);
  });

  it('parses every json block; host configurations and strategies validate', () => {
    const failures: string[] = [];
    for (const doc of docs) {
      for (const block of doc.blocks.filter((b) => b.lang === 'json')) {
        try {
          checkJson(JSON.parse(block.code) as unknown);
        } catch (e) {
          failures.push(`${where(doc, block)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

/** Validates what a JSON block is: a host configuration, a plugin entry, or anything else (parsed only). */
function checkJson(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.plugins)) {
    const config = validateHostConfig(value, 'documentation');
    for (const entry of config.plugins) checkPluginEntry(entry);
  } else if (typeof record.module === 'string') {
    checkPluginEntry(record as { module: string; options?: Readonly<Record<string, unknown>> });
  }
}

/** A resilience plugin entry's strategies must register (the same validation the plugin runs). */
function checkPluginEntry(entry: {
  readonly module: string;
  readonly options?: Readonly<Record<string, unknown>>;
}): void {
  if (entry.module !== '@datawarehouse/plugin-ultimate-resilience') return;
  const strategies = (entry.options?.strategies ?? []) as readonly StrategyDefinition[];
  const registry = new StrategyRegistry([], 10_000);
  strategies.forEach((s, i) => registry.register(s, `strategies[${i}]`));
}
