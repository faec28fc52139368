import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './markdown.js';

/** A source to typecheck: real (on disk) or virtual (a code block of a document). */
export interface CheckedSource {
  /** Absolute path; a virtual file's folder need not exist, but decides how imports resolve. */
  readonly fileName: string;
  /** Text of a virtual file; omitted for a file on disk. */
  readonly text?: string;
  /** How a diagnostic's position is reported, e.g. `README.md:42`; default `fileName:line`. */
  readonly describe?: (line: number) => string;
}

/**
 * Typechecks `sources` with the workspace's compiler options (the root `tsconfig.json`: strict,
 * `nodenext`, the `source` export condition, so workspace packages resolve to their TypeScript
 * sources and need no build), plus `overrides`. Only diagnostics located in `sources` are
 * returned: errors inside the packages belong to the packages' own typecheck.
 * @returns one formatted line per diagnostic (empty when all is well).
 */
export function typecheck(sources: readonly CheckedSource[], overrides: ts.CompilerOptions = {}): string[] {
  const configPath = join(repoRoot, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (parsed === undefined) throw new Error(`cannot read ${configPath}`);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, ...overrides };
  const virtual = new Map(
    sources.filter((s) => s.text !== undefined).map((s) => [ts.sys.resolvePath(s.fileName), s.text!]),
  );
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(f);
    return text !== undefined
      ? ts.createSourceFile(f, text, languageVersion, true)
      : getSourceFile.call(host, f, languageVersion, onError, shouldCreate);
  };
  const program = ts.createProgram({ rootNames: sources.map((s) => s.fileName), options, host });
  const out: string[] = [];
  for (const source of sources) {
    const file = program.getSourceFile(source.fileName);
    if (file === undefined) {
      out.push(`${source.fileName}: not part of the program`);
      continue;
    }
    const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    for (const d of diagnostics) {
      const line = d.start === undefined ? 0 : file.getLineAndCharacterOfPosition(d.start).line;
      const where = source.describe?.(line) ?? `${source.fileName}:${line + 1}`;
      out.push(`${where}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return out;
}
