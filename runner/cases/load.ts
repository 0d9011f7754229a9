// Loading: find the case files, parse them with source positions, validate.
// All problems of all files are collected and thrown together as one CaseError.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { planLimitProblems } from '../plan/bounds.js';
import { CaseError, compareDiagnostics, diagnosticAt, type Diagnostic } from './diagnostics.js';
import { aliasTargets, expansionProblem } from './aliases.js';
import { CASE_FILE_MAX_BYTES, CASES_PER_RUN_MAX, EXPANDED_NODES_MAX, GUEST_LIMITS, MANIFEST_LINE_BOUND } from './limits.js';
import { probeFileDiagnostics } from './probe.js';
import { validateCase, type Case } from './case.js';
import type { ParseCache } from './parse-cache.js';
import { decodeCaseBytes } from './utf8.js';
import { repoRoot } from '../qemu/arch.js';
import { SCHEMA_FILE } from '../schema/case-schema.js';

export { CaseError, formatDiagnostic, type Diagnostic } from './diagnostics.js';

const CASE_EXT = '.yaml';

/** A file as diagnostics show it: relative to the working directory. */
const shown = (abs: string): string => path.relative(process.cwd(), abs) || abs;

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A diagnostic of a whole file (`file` as shown), at its first line. */
const fileTop = (file: string, message: string): Diagnostic => ({ file, line: 1, col: 1, path: '', message });
const fileDiag = (abs: string, message: string): Diagnostic => fileTop(shown(abs), message);

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

/** A case file to load: its absolute path and its case id. */
interface CaseFile {
  abs: string;
  id: string;
}

/**
 * Where the ids of the files found under a given path start: the cases root for a path inside
 * it; otherwise the folder that holds the given path, so `/tmp/mycases` gives `mycases/…` and
 * `/tmp/mycases/k1.yaml` gives `k1`.
 */
function idBase(root: string, abs: string): string {
  const rel = path.relative(root, abs);
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.dirname(abs) : root;
}

/**
 * The case files to load, sorted by id: under `root`, or under the given files and folders
 * (anywhere). Problems with the given paths, and two files with one id, go to diags.
 */
async function caseFiles(root: string, paths: string[] | undefined, diags: Diagnostic[]): Promise<CaseFile[]> {
  const found = new Map<string, CaseFile>();
  const byId = new Map<string, string>();
  const add = (abs: string, base: string): void => {
    if (found.has(abs)) return;
    const id = caseId(base, abs);
    const other = byId.get(id);
    if (other !== undefined) {
      diags.push(fileDiag(abs, `case id ${JSON.stringify(id)} is also the id of ${shown(other)}: a case id is the path below cases/, or below the folder that holds a file or folder given from elsewhere; rename one of them`));
      return;
    }
    byId.set(id, abs);
    found.set(abs, { abs, id });
  };
  const wanted = paths && paths.length > 0 ? paths.map((p) => path.resolve(p)) : [root];
  for (const abs of wanted) {
    let st;
    try {
      st = await stat(abs);
    } catch {
      diags.push(fileDiag(abs, 'no such file or directory'));
      continue;
    }
    const base = idBase(root, abs);
    if (st.isDirectory()) {
      const files: string[] = [];
      const before = diags.length;
      await walk(abs, files, diags);
      if (files.length + diags.length === before) diags.push(fileDiag(abs, `no case files (*${CASE_EXT}) in this folder`));
      for (const f of files) add(f, base);
    } else if (abs.endsWith(CASE_EXT)) add(abs, base);
    else diags.push(fileDiag(abs, `case files end in ${CASE_EXT}`));
  }
  return [...found.values()].sort((a, b) => byCodeUnits(a.id, b.id));
}

/** The case id: the path below `base` (the cases directory, or the folder of a case given from elsewhere) without `.yaml`, with `/` separators. */
export function caseId(base: string, file: string): string {
  return path.relative(base, file).split(path.sep).join('/').slice(0, -CASE_EXT.length);
}

/** The `# yaml-language-server: $schema=…` line editors read, among a case file's first lines. */
const SCHEMA_MODELINE = /^#\s*yaml-language-server:\s*\$schema=(\S+)/;

/**
 * The diagnostic for a case file whose `$schema` reference names a file that is not there
 * (a case copied out of cases/ keeps `../../schema/case.schema.json`): the editor would then
 * check nothing. It says the reference that works from the file's folder.
 */
async function schemaRefDiagnostics(abs: string, text: string): Promise<Diagnostic[]> {
  const lines = text.split('\n', 5);
  const line = lines.findIndex((l) => SCHEMA_MODELINE.test(l));
  if (line < 0) return [];
  const ref = SCHEMA_MODELINE.exec(lines[line] ?? '')?.[1] ?? '';
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return []; // a URL: not ours to check
  if (await stat(path.resolve(path.dirname(abs), ref)).then((s) => s.isFile(), () => false)) return [];
  const ours = path.relative(path.dirname(abs), path.join(repoRoot, SCHEMA_FILE)).split(path.sep).join('/');
  const col = (lines[line] ?? '').indexOf(ref) + 1;
  return [diagnosticAt(shown(abs), text.split('\n'), line + 1, col, '', `the schema reference ${JSON.stringify(ref)} names no file from this folder; write $schema=${ours} (vmaspec's schema from here), or drop the line`)];
}

/**
 * Parses and validates one case file's text. `file` is used in diagnostics as given.
 * Returns the case, or null and the diagnostics.
 */
export function parseCase(source: string, file: string, id: string): { case: Case | null; diagnostics: Diagnostic[] } {
  const size = Buffer.byteLength(source);
  if (size > CASE_FILE_MAX_BYTES) return { case: null, diagnostics: [tooLarge(file, size)] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lines = source.split('\n');
  const at = (offset: number, path: string, message: string): Diagnostic => {
    const { line, col } = lineCounter.linePos(offset);
    return diagnosticAt(file, lines, line, col, path, message);
  };
  // Syntax errors make the tree unreliable: report them alone. Duplicate keys are
  // reported by the validator with their key path, at the repeated key.
  const yamlProblems = [...doc.errors, ...doc.warnings].filter((e) => e.code !== 'DUPLICATE_KEY');
  if (yamlProblems.length > 0) return { case: null, diagnostics: yamlProblems.map((e) => at(e.pos[0], '', `YAML: ${e.message.split('\n')[0] ?? e.message} (${e.code})`)) };
  // An alias bomb is stopped before the validator walks it.
  const aliases = aliasTargets(doc);
  const bomb = expansionProblem(doc, aliases, EXPANDED_NODES_MAX);
  if (bomb) return { case: null, diagnostics: [at(bomb.node.range?.[0] ?? 0, bomb.path, bomb.message)] };
  const result = validateCase({ doc, lineCounter, source, file, id, aliases });
  if (!result.case) return result;
  const limits = planLimitProblems(result.case).map((p) => diagnosticAt(file, lines, p.origin.step.pos.line, p.origin.step.pos.col, p.origin.path, p.message));
  return limits.length ? { case: null, diagnostics: limits } : result;
}

const tooLarge = (file: string, size: number): Diagnostic => fileTop(file, `case file is ${size} bytes; case files are at most ${CASE_FILE_MAX_BYTES} bytes`);

/** A case file's text, or the diagnostic that it is too large or not UTF-8 (found before it is parsed). */
async function readCaseFile(abs: string): Promise<{ text: string } | { diagnostic: Diagnostic }> {
  const { size } = await stat(abs);
  if (size > CASE_FILE_MAX_BYTES) return { diagnostic: tooLarge(shown(abs), size) };
  return decodeCaseBytes(await readFile(abs), shown(abs));
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
 * or only the given files and directories (resolved against the working directory;
 * anywhere, see `idBase` for their ids). Sorted by id. Throws one CaseError with every problem of every file.
 * `cache`: valid cases kept from earlier runs (runner/cases/parse-cache.ts).
 */
export async function loadCases(root: string, paths?: string[], cache?: ParseCache): Promise<Case[]> {
  const absRoot = path.resolve(root);
  const diags: Diagnostic[] = [];
  let files: CaseFile[] = [];
  try {
    const st = await stat(absRoot);
    if (!st.isDirectory()) diags.push(fileDiag(absRoot, 'the cases root is not a directory'));
    else files = await caseFiles(absRoot, paths, diags);
  } catch {
    diags.push(fileDiag(absRoot, 'the cases root does not exist'));
  }
  if (files.length > CASES_PER_RUN_MAX) {
    const { manifestBytes } = GUEST_LIMITS;
    const where = paths && paths.length > 0 ? path.resolve(paths[0] ?? absRoot) : absRoot;
    diags.push(fileDiag(where, `${files.length} case files; one run takes at most ${CASES_PER_RUN_MAX}: a boot's manifest holds a line of up to ${MANIFEST_LINE_BOUND} bytes a case and ${manifestBytes.constant} (${manifestBytes.file}) is ${manifestBytes.value} bytes`));
    files = [];
  }
  const cases: Case[] = [];
  const sources = await Promise.all(files.map((f) => readCaseFile(f.abs)));
  const kept = await Promise.all(files.map((f, i) => {
    const read = sources[i];
    return cache && read && 'text' in read ? cache.get({ text: read.text, abs: f.abs, id: f.id }) : undefined;
  }));
  const fileChecks: Promise<Diagnostic[]>[] = [];
  const puts: Promise<void>[] = [];
  files.forEach(({ abs, id }, i) => {
    const read = sources[i] ?? { text: '' };
    if ('diagnostic' in read) {
      diags.push(read.diagnostic);
      return;
    }
    const result = kept[i] ? { case: kept[i], diagnostics: [] } : parseCase(read.text, shown(abs), id);
    diags.push(...result.diagnostics);
    if (result.case) cases.push(result.case);
    if (cache && result.case && !kept[i]) puts.push(cache.put({ text: read.text, abs, id }, result.case));
    if (result.case?.probe) fileChecks.push(probeFileDiagnostics(result.case.probe, read.text));
    fileChecks.push(schemaRefDiagnostics(abs, read.text));
  });
  diags.push(...(await Promise.all(fileChecks)).flat());
  // A cache that cannot be written costs the next run its time, nothing else.
  await Promise.allSettled(puts);
  if (diags.length > 0) throw new CaseError(diags.sort(compareDiagnostics));
  return cases;
}
