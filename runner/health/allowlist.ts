// known-splats.yaml: kernel reports a run accepts, each by a title pattern with a
// mandatory reason (docs/reliability.md). Validated like a case file: every problem
// as `file:line:col: path: message`.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { CaseError, type Diagnostic } from '../cases/diagnostics.js';
import { parseRange, rangeMatches } from '../kernel/version-range.js';
import { REPORT_KINDS, type ReportKind } from './patterns.js';
import type { KernelReport } from './scan.js';

/** One accepted report. */
export interface KnownSplat {
  /** Matched (RegExp, unanchored) against the report title. */
  title: RegExp;
  reason: string;
  link: string | null;
  /** Kernel releases it applies to (`>=6.12 <6.13`, runner/kernel/version-range.ts); null for every release. */
  kernel: string | null;
  kind: ReportKind | null;
  /** `file:line` of the entry, for notes. */
  where: string;
}

const KEYS = ['title', 'reason', 'link', 'kernel', 'kind'] as const;

/** Parses and validates the allowlist text; throws CaseError with every problem. */
export function parseKnownSplats(source: string, file: string): KnownSplat[] {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const lines = source.split('\n');
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number, path: string, message: string): void => {
    const { line, col } = lc.linePos(offset);
    const sourceLine = lines[line - 1];
    diagnostics.push({ file, line, col, path, message, ...(sourceLine === undefined ? {} : { sourceLine }) });
  };
  const pos = (n: Node | null | undefined): number => n?.range?.[0] ?? 0;
  for (const e of [...doc.errors, ...doc.warnings]) at(e.pos[0], '', `YAML: ${e.message.split('\n')[0] ?? e.message} (${e.code})`);
  if (diagnostics.length) throw new CaseError(diagnostics);

  const out: KnownSplat[] = [];
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) {
    at(pos(root), '', 'expected a mapping with the key "known" (a list of entries)');
    throw new CaseError(diagnostics);
  }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'known') at(pos(pair.key as Node), key, `unknown key "${key}"; allowed: known`);
  }
  const list = root.get('known', true);
  if (list !== undefined && !(isScalar(list) && list.value === null) && !isSeq(list)) at(pos(list as Node), 'known', 'expected a list of entries');
  const items = isSeq(list) ? list.items : [];
  items.forEach((item, i) => {
    const path = `known[${i}]`;
    if (!isMap(item)) {
      at(pos(item as Node), path, `expected a mapping with keys ${KEYS.join(', ')}`);
      return;
    }
    const values = new Map<string, { text: string; node: Node }>();
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!(KEYS as readonly string[]).includes(key)) {
        at(pos(pair.key as Node), `${path}.${key}`, `unknown key "${key}"; allowed: ${KEYS.join(', ')}`);
        continue;
      }
      const v = pair.value as Node | null;
      if (!isScalar(v) || typeof v.value !== 'string' || v.value.trim() === '') {
        at(pos(v ?? (pair.key as Node)), `${path}.${key}`, `expected a non-empty string, got ${isScalar(v) ? JSON.stringify(v.value) : 'a collection'}`);
        continue;
      }
      values.set(key, { text: v.value, node: v });
    }
    const { line } = lc.linePos(pos(item));
    for (const required of ['title', 'reason'] as const) if (!values.has(required)) at(pos(item), path, `missing key "${required}"${required === 'reason' ? ': say why this report is accepted' : ''}`);
    const title = values.get('title');
    let re: RegExp | null = null;
    if (title) {
      try {
        re = new RegExp(title.text);
      } catch (e) {
        at(pos(title.node), `${path}.title`, `not a regular expression: ${(e as Error).message}`);
      }
    }
    const link = values.get('link');
    if (link && !/^https?:\/\/\S+$/.test(link.text)) at(pos(link.node), `${path}.link`, `expected an http(s) URL, got ${JSON.stringify(link.text)}`);
    const kernelText = values.get('kernel');
    const range = kernelText ? parseRange(kernelText.text) : null;
    if (kernelText && range && !range.ok) at(pos(kernelText.node), `${path}.kernel`, range.message);
    const kernel = range?.ok ? range.range.text : null;
    const kind = values.get('kind');
    if (kind && !(REPORT_KINDS as readonly string[]).includes(kind.text)) at(pos(kind.node), `${path}.kind`, `unknown kind ${JSON.stringify(kind.text)}; allowed: ${REPORT_KINDS.join(', ')}`);
    const reason = values.get('reason');
    if (re && reason) {
      out.push({ title: re, reason: reason.text, link: link?.text ?? null, kernel, kind: (kind?.text as ReportKind | undefined) ?? null, where: `${file}:${line}` });
    }
  });
  if (diagnostics.length) throw new CaseError(diagnostics);
  return out;
}

/** Loads the allowlist file; a missing file accepts nothing. */
export async function loadKnownSplats(file: string, shownAs = file): Promise<KnownSplat[]> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseKnownSplats(source, shownAs);
}

/** The entry that accepts a report on this kernel release, or null. */
export function knownSplat(report: Pick<KernelReport, 'title' | 'kind'>, known: readonly KnownSplat[], release: string | null): KnownSplat | null {
  return (
    known.find((k) => k.title.test(report.title) && (k.kind === null || k.kind === report.kind) && (k.kernel === null || (release !== null && rangeMatches(k.kernel, release)))) ?? null
  );
}
