// Diagnostics for case files, actionlint / dt-schema style:
//   cases/naming/x.yaml:7:22: steps[1].map.pgs: unknown key "pgs"; allowed: id, at, pages, …
//     - map: { at: 0, pgs: 3 }
//                     ^

export interface Diagnostic {
  /** The file, relative to the working directory. */
  file: string;
  /** 1-based line and column. */
  line: number;
  col: number;
  /** Key path inside the document, e.g. `steps[2].name.region`; empty for file-level and syntax errors. */
  path: string;
  message: string;
  /** The source line the position is on, for the caret excerpt. */
  sourceLine?: string;
}

/** A diagnostic at a 1-based line and column of a file whose lines are `lines`, with its source line for the caret excerpt. */
export function diagnosticAt(file: string, lines: readonly string[], line: number, col: number, path: string, message: string): Diagnostic {
  const sourceLine = lines[line - 1];
  return { file, line, col, path, message, ...(sourceLine === undefined ? {} : { sourceLine }) };
}

/**
 * One diagnostic as text: `file:line:col: key.path: message`, and with
 * `excerpt` (default true when the source line is known) two more lines: the
 * source line and a caret under the column.
 */
export function formatDiagnostic(d: Diagnostic, opts: { excerpt?: boolean } = {}): string {
  const head = `${d.file}:${d.line}:${d.col}: ${d.path ? `${d.path}: ` : ''}${d.message}`;
  if (opts.excerpt === false || d.sourceLine === undefined) return head;
  const src = d.sourceLine.replace(/\r$/, '');
  // Keep tabs under tabs so the caret lines up whatever the tab width.
  const pad = src.slice(0, Math.max(0, d.col - 1)).replace(/[^\t]/g, ' ');
  return `${head}\n    ${src}\n    ${pad}^`;
}

/** Order: by file, then position, then message (stable, deterministic). */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

/** Thrown by `loadCases` when any case file is invalid; carries every problem found in every file. */
export class CaseError extends Error {
  readonly code = 'E_CASE_INVALID' as const;
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
    this.name = 'CaseError';
    this.diagnostics = diagnostics;
  }
}
