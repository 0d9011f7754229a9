// The example cases of a Markdown page (docs/cases.md): every ```yaml fenced block is a
// complete case, with the id `<page>#<n>` (n from 1, in page order), the file
// `<page>:<line>` in reports, and diagnostics pointing at the lines of the page. Validated by the unit tests, run by the integration test.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CaseError, compareDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseCaseText } from './load.js';
import type { Case } from './case.js';
import { decodeCaseBytes } from './utf8.js';

/** One ```yaml block: its text, the 1-based page line its first text line is on, and the heading above it. */
export interface YamlBlock {
  text: string;
  line: number;
  heading: string | null;
}

const FENCE = /^(`{3,}|~{3,})\s*([\w-]*)/;

/** The ```yaml (or ```yml) blocks of a Markdown text, in order. */
export function yamlBlocks(markdown: string): YamlBlock[] {
  const lines = markdown.split('\n');
  const out: YamlBlock[] = [];
  let heading: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    const h = /^#{1,6}\s+(.*)$/.exec(l);
    if (h) {
      heading = (h[1] ?? '').trim();
      continue;
    }
    const open = FENCE.exec(l);
    if (!open) continue;
    const fence = open[1] ?? '```';
    const lang = (open[2] ?? '').toLowerCase();
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? '').startsWith(fence)) body.push(lines[j++] ?? '');
    if (lang === 'yaml' || lang === 'yml') out.push({ text: `${body.join('\n')}\n`, line: i + 2, heading });
    i = j;
  }
  return out;
}

/** The id of the n-th (1-based) example of a page. */
export const exampleId = (page: string, n: number): string => `${page}#${n}`;

/**
 * Loads every example case of a Markdown page; `page` is the file as shown in ids and
 * diagnostics (e.g. `docs/cases.md`). Throws one CaseError with every problem.
 */
export async function loadDocCases(file: string, page = path.relative(process.cwd(), path.resolve(file)) || file): Promise<Case[]> {
  const read = decodeCaseBytes(await readFile(file), page);
  if ('diagnostic' in read) throw new CaseError([read.diagnostic]);
  const text = read.text;
  const blocks = yamlBlocks(text);
  const cases: Case[] = [];
  const diags: Diagnostic[] = [];
  if (blocks.length === 0) diags.push({ file: page, line: 1, col: 1, path: '', message: 'no ```yaml example in this page' });
  for (const [i, b] of blocks.entries()) {
    const r = await parseCaseText(b.text, page, exampleId(page, i + 1), b.line);
    diags.push(...r.diagnostics);
    // Reports name where the example is written: `docs/cases.md:<line of its block>`.
    if (r.case) cases.push({ ...r.case, file: `${page}:${b.line}` });
  }
  if (diags.length) throw new CaseError(diags.sort(compareDiagnostics));
  return cases;
}
