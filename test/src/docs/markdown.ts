import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** Language, the first word of the info string (`ts`, `json`, `sh`, …), lower case. */
  readonly lang: string;
  /** The other words of the info string, e.g. `no-check`. */
  readonly flags: readonly string[];
  /** The block's text, without the fences. */
  readonly code: string;
  /** 1-based line of the first line of code (the line after the opening fence). */
  readonly line: number;
}

/** A link or image target of a Markdown file, outside code. */
export interface MarkdownLink {
  readonly target: string;
  /** 1-based line. */
  readonly line: number;
}

/** A parsed Markdown file: its code blocks, links and heading anchors. */
export interface MarkdownFile {
  /** Path relative to the repository root, with `/`. */
  readonly path: string;
  readonly blocks: readonly CodeBlock[];
  readonly links: readonly MarkdownLink[];
  /** GitHub anchors of its headings (duplicates suffixed `-1`, `-2`, … as GitHub does). */
  readonly anchors: ReadonlySet<string>;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/;

/**
 * The documentation checked by the docs suites: the root documents, everything under `docs/`
 * except the generated API reference, and the examples' READMEs.
 */
export function documentationFiles(): string[] {
  const files = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].filter((f) => existsSync(join(repoRoot, f)));
  files.push(...walk('docs', (rel) => rel !== 'docs/api'));
  files.push(...walk('examples', () => true).filter((f) => f.endsWith('/README.md')));
  return files.filter((f) => f.endsWith('.md')).sort();
}

function walk(dir: string, keep: (rel: string) => boolean): string[] {
  const abs = join(repoRoot, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs)) {
    const rel = `${dir}/${entry}`;
    if (entry === 'node_modules' || !keep(rel)) continue;
    if (statSync(join(repoRoot, rel)).isDirectory()) out.push(...walk(rel, keep));
    else out.push(rel);
  }
  return out;
}

/** Reads and parses a Markdown file given relative to the repository root. */
export function readMarkdown(path: string): MarkdownFile {
  return parseMarkdown(path, readFileSync(join(repoRoot, path), 'utf8'));
}

/** Parses Markdown text: fenced blocks, inline and reference links outside code, heading anchors. */
export function parseMarkdown(path: string, text: string): MarkdownFile {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  const links: MarkdownLink[] = [];
  const counts = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: { marker: string; lang: string; flags: string[]; start: number; body: string[] } | undefined;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const m = FENCE.exec(line);
    if (fence !== undefined) {
      if (m !== null && m[1]!.startsWith(fence.marker) && m[2]!.trim() === '') {
        blocks.push({ lang: fence.lang, flags: fence.flags, code: fence.body.join('\n'), line: fence.start });
        fence = undefined;
      } else {
        fence.body.push(line);
      }
      return;
    }
    if (m !== null) {
      const [lang = '', ...flags] = m[2]!
        .trim()
        .split(/\s+/)
        .filter((w) => w.length > 0);
      fence = { marker: m[1]!, lang: lang.toLowerCase(), flags, start: i + 2, body: [] };
      return;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading !== null) {
      const base = slug(heading[1]!);
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    const prose = line.replace(/`[^`]*`/g, '');
    for (const link of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: link[1]!, line: i + 1 });
    }
    const reference = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (reference !== null) links.push({ target: reference[1]!, line: i + 1 });
  });
  if (fence !== undefined) throw new Error(`${path}:${fence.start - 1}: unclosed code fence`);
  return { path, blocks, links, anchors };
}

/** GitHub's anchor of a heading: its text without markup, lower case, punctuation dropped, spaces as `-`. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links: keep their text
    .replace(/<[^>]+>/g, ''); // inline HTML
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Path of `target` (a relative link of `from`) relative to the repository root, or undefined outside it. */
export function resolveInRepo(from: string, target: string): string | undefined {
  const abs = resolve(repoRoot, dirname(from), decodeURIComponent(target));
  const rel = relative(repoRoot, abs);
  if (rel.startsWith('..') || resolve(repoRoot, rel) !== abs) return undefined;
  return rel.split('\\').join('/');
}
