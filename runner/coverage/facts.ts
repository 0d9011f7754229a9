// The fact and scenario keys of docs/kernel-behaviour.md, each with its one-line text:
// bullets `- **KEY** (status) text` and table rows `| KEY | condition | result | status |`.
import { SPEC_KEY } from '../cases/shapes.js';

/** One key of the behaviour reference. */
export interface Fact {
  key: string;
  /** `checked`, `source`, … as the page marks it; null where it marks nothing. */
  status: string | null;
  text: string;
  /** 1-based line of the page. */
  line: number;
  section: string;
}

const BULLET = /^- \*\*([A-Za-z0-9]+)\*\*\s*(?:\(([^)]*)\)\s*)?(.*)$/;
const STATUSES = new Set(['checked', 'source']);

/**
 * The cells of a Markdown table row, trimmed: split on `|` that is neither escaped (`\|`,
 * kept as written) nor inside a code span (`{|}`, as the page writes it).
 */
export function tableCells(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  const s = row.trim();
  for (let i = s.startsWith('|') ? 1 : 0; i < s.length; ) {
    const c = s[i] ?? '';
    if (c === '\\') {
      cell += s.slice(i, i + 2);
      i += 2;
    } else if (c === '`') {
      const run = /^`+/.exec(s.slice(i))?.[0] ?? '`';
      const close = new RegExp(`(?<!\`)${run}(?!\`)`).exec(s.slice(i + run.length));
      const end = close ? i + run.length + close.index + run.length : i + run.length;
      cell += s.slice(i, end);
      i = end;
    } else if (c === '|') {
      cells.push(cell.trim());
      cell = '';
      i++;
    } else {
      cell += c;
      i++;
    }
  }
  if (cell.trim() !== '') cells.push(cell.trim());
  return cells;
}

/** Every key of the page, in page order; throws on a key given twice. */
export function parseFacts(markdown: string): Fact[] {
  const facts: Fact[] = [];
  let section = '';
  for (const [i, raw] of markdown.split('\n').entries()) {
    const h = /^#{1,6}\s+(.*)$/.exec(raw);
    if (h) {
      section = (h[1] ?? '').trim();
      continue;
    }
    const b = BULLET.exec(raw);
    if (b && SPEC_KEY.test(b[1] ?? '')) {
      facts.push({ key: b[1] ?? '', status: b[2] ?? null, text: (b[3] ?? '').trim(), line: i + 1, section });
      continue;
    }
    if (!raw.startsWith('|')) continue;
    const cells = tableCells(raw);
    const key = cells[0] ?? '';
    if (!SPEC_KEY.test(key)) continue; // the header and separator rows
    const last = cells[cells.length - 1] ?? '';
    const status = cells.length > 3 && STATUSES.has(last.split(/[\s(]/)[0] ?? '') ? last : null;
    const text = cells.slice(1, status === null ? undefined : -1).join(' → ');
    facts.push({ key, status, text, line: i + 1, section });
  }
  const seen = new Map<string, number>();
  for (const f of facts) {
    const before = seen.get(f.key);
    if (before !== undefined) throw new Error(`kernel-behaviour.md:${f.line}: key ${f.key} already given at line ${before}`);
    seen.set(f.key, f.line);
  }
  return facts;
}
