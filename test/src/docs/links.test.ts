import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationFiles, readMarkdown, repoRoot, resolveInRepo } from './markdown.js';
import type { MarkdownFile } from './markdown.js';

// Every relative link of the documentation resolves to a file or folder inside the repository,
// and every #anchor to a heading of the Markdown file it names. Links to the outside world are
// only absolute http(s) or mailto links.

const docs = new Map<string, MarkdownFile>(documentationFiles().map((p) => [p, readMarkdown(p)]));
const EXTERNAL = /^(https?:|mailto:)/i;

function markdownAt(path: string): MarkdownFile {
  let doc = docs.get(path);
  if (doc === undefined) {
    doc = readMarkdown(path);
    docs.set(path, doc);
  }
  return doc;
}

/** What is wrong with one link of `doc`, or undefined. */
function problemOf(doc: MarkdownFile, target: string): string | undefined {
  if (EXTERNAL.test(target)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return 'unsupported scheme';
  if (target.startsWith('/')) return 'absolute path: use a path relative to the document';
  const hash = target.indexOf('#');
  const path = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = path === '' ? doc.path : resolveInRepo(doc.path, path);
  if (file === undefined) return 'points outside the repository';
  if (!existsSync(join(repoRoot, file))) return `no such file: ${file}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `anchor on a file that is not Markdown: ${file}`;
  return markdownAt(file).anchors.has(anchor) ? undefined : `no heading for #${anchor} in ${file}`;
}

describe('documentation links', () => {
  it('resolves every relative link and anchor inside the repository', () => {
    const problems: string[] = [];
    for (const doc of [...docs.values()]) {
      for (const link of doc.links) {
        const problem = problemOf(doc, link.target);
        if (problem !== undefined) problems.push(`${doc.path}:${link.line}: ${link.target}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('links every document under docs/ from the README', () => {
    const readme = docs.get('README.md')!;
    const linked = new Set(readme.links.map((l) => l.target.split('#')[0]));
    const unlinked = [...docs.keys()].filter((p) => p.startsWith('docs/') && !linked.has(p));
    expect(unlinked).toEqual([]);
  });

  it('keeps the README a front door with the two commands verbatim', () => {
    const readme = docs.get('README.md')!;
    const shell = readme.blocks.filter((b) => b.lang === 'sh').map((b) => b.code.trim());
    // .ci/run runs the test command; both are the documented way in.
    expect(shell).toContain('npx -y pnpm@10 install --frozen-lockfile && npm start');
    expect(shell).toContain('npx -y pnpm@10 install --frozen-lockfile && npm test');
    expect(readFileSync(join(repoRoot, '.ci', 'run'), 'utf8')).toContain(
      'npx -y pnpm@10 install --frozen-lockfile && npm test',
    );
    // The details live in docs/; the README stays short enough to read in one go.
    expect(readFileSync(join(repoRoot, 'README.md'), 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(200);
  });
});
