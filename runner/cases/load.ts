// Loading: find the case files, parse them with source positions, validate.
// All problems of all files are collected and thrown together as one CaseError.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { CaseError, compareDiagnostics, type Diagnostic } from './diagnostics.js';
import { probeFileDiagnostics } from './probe.js';
import type { Case } from './types.js';
import { validateCase } from './validate.js';

export { CaseError, formatDiagnostic, type Diagnostic } from './diagnostics.js';

const CASE_EXT = '.yaml';

/** A file as diagnostics show it: relative to the working directory. */
const shown = (abs: string): string => path.relative(process.cwd(), abs) || abs;

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function fileDiag(abs: string, message: string): Diagnostic {
  return { file: shown(abs), line: 1, col: 1, path: '', message };
}

/** Every `*.yaml` under dir, recursively; `.yml` files are reported (they would be silently skipped otherwise). */
async function walk(dir: string, out: string[], diags: Diagnostic[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) await walk(abs, out, diags);
    else if (e.name.endsWith(CASE_EXT)) out.push(abs);
    else if (e.name.endsWith('.yml')) diags.push(fileDiag(abs, `case files end in ${CASE_EXT}; rename it to ${e.name.slice(0, -4)}${CASE_EXT}`));
  }
}

/** The case files to load, absolute, sorted by id; problems with the given paths go to diags. */
async function caseFiles(root: string, paths: string[] | undefined, diags: Diagnostic[]): Promise<string[]> {
  const found: string[] = [];
  const wanted = paths && paths.length > 0 ? paths.map((p) => path.resolve(p)) : [root];
  for (const abs of wanted) {
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      diags.push(fileDiag(abs, `not under the cases directory ${shown(root) || '.'}`));
      continue;
    }
    let st;
    try {
      st = await stat(abs);
    } catch {
      diags.push(fileDiag(abs, 'no such file or directory'));
      continue;
    }
    if (st.isDirectory()) await walk(abs, found, diags);
    else if (abs.endsWith(CASE_EXT)) found.push(abs);
    else diags.push(fileDiag(abs, `case files end in ${CASE_EXT}`));
  }
  const unique = [...new Set(found)];
  return unique.sort((a, b) => byCodeUnits(caseId(root, a), caseId(root, b)));
}

/** The case id: the path under the cases directory without `.yaml`, with `/` separators. */
export function caseId(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/').slice(0, -CASE_EXT.length);
}

/**
 * Parses and validates one case file's text. `file` is used in diagnostics as given.
 * Returns the case, or null and the diagnostics.
 */
export function parseCase(source: string, file: string, id: string): { case: Case | null; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lines = source.split('\n');
  const diagnostics: Diagnostic[] = [];
  const yamlProblems = [...doc.errors, ...doc.warnings].filter((e) => e.code !== 'DUPLICATE_KEY');
  for (const e of yamlProblems) {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    const sourceLine = lines[line - 1];
    const message = `YAML: ${e.message.split('\n')[0] ?? e.message} (${e.code})`;
    diagnostics.push({ file, line, col, path: '', message, ...(sourceLine === undefined ? {} : { sourceLine }) });
  }
  // Syntax errors make the tree unreliable: report them alone. Duplicate keys are
  // reported by the validator with their key path, at the repeated key.
  if (diagnostics.length > 0) return { case: null, diagnostics };
  return validateCase({ doc, lineCounter, source, file, id });
}

/**
 * Parses, validates and checks the probe file of a case that is not a file of its own,
 * e.g. a YAML block of docs/cases.md: `file` is shown in diagnostics, and `firstLine`
 * (1-based) is the line of `file` the text starts on, so positions point into `file`.
 */
export async function parseCaseText(source: string, file: string, id: string, firstLine = 1): Promise<{ case: Case | null; diagnostics: Diagnostic[] }> {
  const padded = '\n'.repeat(Math.max(0, firstLine - 1)) + source;
  const result = parseCase(padded, file, id);
  if (!result.case?.probe) return result;
  const diagnostics = await probeFileDiagnostics(result.case.probe, padded);
  return diagnostics.length ? { case: null, diagnostics } : result;
}

/**
 * Loads the cases under `root` (the cases directory, e.g. `cases/`): every `**\/*.yaml`,
 * or only the given files and directories (resolved against the working directory,
 * inside `root`). Sorted by id. Throws one CaseError with every problem of every file.
 */
export async function loadCases(root: string, paths?: string[]): Promise<Case[]> {
  const absRoot = path.resolve(root);
  const diags: Diagnostic[] = [];
  let files: string[] = [];
  try {
    const st = await stat(absRoot);
    if (!st.isDirectory()) diags.push(fileDiag(absRoot, 'the cases root is not a directory'));
    else files = await caseFiles(absRoot, paths, diags);
  } catch {
    diags.push(fileDiag(absRoot, 'the cases root does not exist'));
  }
  const cases: Case[] = [];
  const sources = await Promise.all(files.map((f) => readFile(f, 'utf8')));
  const probeChecks: Promise<Diagnostic[]>[] = [];
  files.forEach((abs, i) => {
    const result = parseCase(sources[i] ?? '', shown(abs), caseId(absRoot, abs));
    diags.push(...result.diagnostics);
    if (result.case) cases.push(result.case);
    if (result.case?.probe) probeChecks.push(probeFileDiagnostics(result.case.probe, sources[i] ?? ''));
  });
  diags.push(...(await Promise.all(probeChecks)).flat());
  if (diags.length > 0) throw new CaseError(diags.sort(compareDiagnostics));
  return cases;
}
