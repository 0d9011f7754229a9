// Readable expected-vs-actual table for a failed layout or VMA count.
import type { ExpectedVma } from '../cases/types.js';
import { painter } from '../report/ansi.js';
import type { ObservedVma } from '../results/types.js';
import { alignLayout } from './layout.js';
import type { LayoutContext } from './types.js';
import { visible } from '../util/text.js';

export interface DiffOptions {
  color?: boolean;
  /** Prefix of every line. */
  indent?: string;
  /** Also list the raw maps lines of the snapshot. */
  raw?: boolean;
}

const ANY = '*';

function cell(index: number, at: number, pages: number, perms: string, name: string): string {
  return `${`${index}:`.padStart(3)} ${String(at).padStart(3)} +${String(pages).padEnd(3)} ${perms.padEnd(4)} ${visible(name)}`.trimEnd();
}

const expectedCell = (i: number, v: ExpectedVma): string =>
  cell(i, v.at, v.pages, v.perms ?? ANY, v.name === undefined ? ANY : v.name);
const actualCell = (i: number, v: ObservedVma): string => cell(i, v.at, v.pages, v.perms, v.name);

/**
 * The table of one layout check: expected VMAs left, observed right, rows paired by first page.
 * Columns: `index:`, first page, `+pages`, perms, name (`*` = not compared). Differing rows are
 * marked `-` (expected) and `+` (actual) and end with the differing fields.
 */
export function formatLayoutDiff(ctx: LayoutContext, opts: DiffOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const indent = opts.indent ?? '';
  const out: string[] = [];
  if (ctx.expected === null) {
    out.push(paint('dim', `   actual, ${ctx.actual.length} VMA${ctx.actual.length === 1 ? '' : 's'}      (#: page +pages perms name)`));
    ctx.actual.forEach((v, i) => out.push(`   ${actualCell(i, v)}`));
  } else {
    const rows = alignLayout(ctx.expected, ctx.actual).map((r) => ({
      left: r.expected ? expectedCell(r.expected.index, r.expected.vma) : '',
      right: r.actual ? actualCell(r.actual.index, r.actual.vma) : '',
      differs: r.differs,
    }));
    const width = Math.max('expected'.length, ...rows.map((r) => r.left.length)) + 4;
    out.push(paint('dim', `   ${'expected'.padEnd(width)}  actual      (#: page +pages perms name)`));
    for (const r of rows) {
      const bad = r.differs.length > 0;
      const left = bad && r.left ? paint('red', `- ${r.left}`) : `  ${r.left}`;
      const right = bad && r.right ? paint('green', `+ ${r.right}`) : `  ${r.right}`;
      const pad = ' '.repeat(width - r.left.length);
      const why = bad ? paint('yellow', `   <- ${r.differs.includes('vma') ? (r.left ? 'missing' : 'unexpected') : r.differs.join(', ')}`) : '';
      out.push(` ${left}${pad}${right}${why}`.trimEnd());
    }
    if (ctx.expected.some((v) => v.perms === undefined || v.name === undefined)) out.push(paint('dim', `   (${ANY}: not compared)`));
  }
  if (opts.raw) {
    out.push(paint('dim', '   maps:'));
    for (const v of ctx.actual) out.push(paint('dim', `     ${v.line}`));
  }
  return out.map((l) => indent + l).join('\n');
}
