// One layout check drawn as SVG for the HTML report: the expected VMAs and the observed ones
// side by side, as boxes over the window's pages (one row per page, addresses growing
// downwards as in /proc/PID/maps), each with its index, first page, size, perms and name.
// Rows are paired as in the text diff (verdict/layout.ts alignLayout): a pair that differs
// has both boxes marked, its differing fields marked in their text, and the fields named
// beside it; a missing or unexpected VMA is marked on its own side.
import type { ExpectedVma } from '../cases/types.js';
import type { ObservedVma } from '../results/types.js';
import { alignLayout } from '../verdict/layout.js';
import type { LayoutContext, LayoutField } from '../verdict/types.js';
import { visible } from '../util/text.js';
import { markupText as esc } from './markup.js';

/** The styles of the drawing (its classes), for the page's stylesheet. */
export const LAYOUT_CSS = `
svg.layout { max-width: 100%; height: auto; font: 12px "DejaVu Sans Mono", monospace; }
svg.layout .head { font-weight: bold; fill: #202124; }
svg.layout .head.bad { fill: #b3261e; }
svg.layout .ruler { fill: #5f6368; text-anchor: end; }
svg.layout .grid { stroke: #e8eaed; stroke-width: 1; }
svg.layout .vma rect { stroke: #5f6368; stroke-width: 1; }
svg.layout .vma.p-none rect { fill: #eceff1; }
svg.layout .vma.p-r rect { fill: #e3f2fd; }
svg.layout .vma.p-rw rect { fill: #e6f4ea; }
svg.layout .vma.p-x rect { fill: #f3e8fd; }
svg.layout .vma.differs rect { stroke: #d93025; stroke-width: 3; }
svg.layout .vma.missing rect, svg.layout .vma.unexpected rect { stroke-dasharray: 6 3; }
svg.layout .vma text { fill: #202124; }
svg.layout .vma .dim { fill: #80868b; }
svg.layout .vma .bad { fill: #b3261e; font-weight: bold; text-decoration: underline; }
svg.layout .mark { fill: #b3261e; font-weight: bold; }
`;

const RULER = 52;
const COLUMN = 340;
const GAP = 16;
const MARKS = 150;
const HEAD = 34;
/** Below this height a box has no room for its text (the tooltip still has it). */
const TEXT_ROOM = 13;

/** One box: which side, its index on that side, its pages and its label's fields. */
interface Box {
  side: 'expected' | 'actual';
  index: number;
  at: number;
  pages: number;
  perms: string | undefined;
  name: string | undefined;
  differs: LayoutField[];
  /** The tooltip: the maps line of an observed VMA, the case file's position of an expected one. */
  tip: string;
}

/** Fill class by permissions: none, read-only, writable, executable. */
function permsClass(perms: string | undefined): string {
  if (perms === undefined) return 'p-r';
  if (perms.includes('x')) return 'p-x';
  if (perms.includes('w')) return 'p-rw';
  return perms.startsWith('r') ? 'p-r' : 'p-none';
}

const ANY = '*';

/** The box's label, the differing fields as marked spans. */
function label(b: Box): string {
  const field = (f: LayoutField, text: string, cls = ''): string => {
    const c = [b.differs.includes(f) ? 'bad' : '', cls].filter(Boolean).join(' ');
    return c ? `<tspan class="${c}">${esc(text)}</tspan>` : esc(text);
  };
  const name = b.name === undefined ? field('name', ANY, 'dim') : b.name === '' ? field('name', '""', 'dim') : field('name', visible(b.name));
  return `${b.index}: ${field('at', String(b.at))} ${field('pages', `+${b.pages}`)} ${field('perms', b.perms ?? ANY, b.perms === undefined ? 'dim' : '')} ${name}`;
}

const expectedTip = (v: ExpectedVma): string =>
  `expected: page ${v.at} +${v.pages} ${v.perms ?? ANY} ${v.name === undefined ? ANY : visible(v.name)}  (${v.pos.file}:${v.pos.line}:${v.pos.col})`;
const actualTip = (v: ObservedVma): string => `actual: page ${v.at} +${v.pages} at ${v.address}\n${visible(v.line)}`;

/** What the marks beside a differing pair say. */
const markText = (differs: readonly LayoutField[], side: 'expected' | 'actual' | 'both'): string =>
  differs.includes('vma') ? (side === 'expected' ? '← missing' : '← unexpected') : `← ${differs.join(', ')}`;

/**
 * The SVG of one layout check. `expectedCount` is the count of an `expect.vmas` check, whose
 * context has no expected list (only the observed VMAs are drawn then).
 */
export function layoutSvg(ctx: LayoutContext, expectedCount?: number): string {
  const boxes: Box[] = [];
  const marks: { at: number; text: string }[] = [];
  if (ctx.expected === null) {
    ctx.actual.forEach((v, index) => boxes.push({ side: 'actual', index, at: v.at, pages: v.pages, perms: v.perms, name: v.name, differs: [], tip: actualTip(v) }));
  } else {
    for (const row of alignLayout(ctx.expected, ctx.actual)) {
      const e = row.expected;
      const a = row.actual;
      if (e) boxes.push({ side: 'expected', index: e.index, at: e.vma.at, pages: e.vma.pages, perms: e.vma.perms, name: e.vma.name, differs: row.differs, tip: expectedTip(e.vma) });
      if (a) boxes.push({ side: 'actual', index: a.index, at: a.vma.at, pages: a.vma.pages, perms: a.vma.perms, name: a.vma.name, differs: row.differs, tip: actualTip(a.vma) });
      if (row.differs.length > 0) marks.push({ at: (e?.vma ?? a!.vma).at, text: markText(row.differs, e && a ? 'both' : e ? 'expected' : 'actual') });
    }
  }
  // The pages drawn: from page 0 (or the first VMA before it) to the end of the last VMA.
  const lo = Math.min(0, ...boxes.map((b) => b.at));
  const hi = Math.max(lo + 1, ...boxes.map((b) => b.at + b.pages));
  const span = hi - lo;
  const ph = span <= 40 ? 26 : Math.max(2, Math.floor(1040 / span));
  const y = (page: number): number => HEAD + (page - lo) * ph;
  const x = { expected: RULER, actual: RULER + COLUMN + GAP };
  const width = RULER + 2 * COLUMN + GAP + MARKS;
  const height = HEAD + span * ph + 8;
  const out: string[] = [];

  // Column headings: the counts, marked when they differ.
  const nActual = ctx.actual.length;
  const nExpected = ctx.expected?.length ?? expectedCount;
  const countsDiffer = nExpected !== undefined && nExpected !== nActual;
  const plural = (n: number): string => `${n} VMA${n === 1 ? '' : 's'}`;
  const expHead = nExpected === undefined ? 'expected' : `expected: ${plural(nExpected)}${ctx.expected === null ? ' (count only)' : ''}`;
  out.push(`<text class="head${countsDiffer ? ' bad' : ''}" x="${x.expected}" y="20">${esc(expHead)}</text>`);
  out.push(`<text class="ruler" x="${RULER - 10}" y="20">page</text>`);
  out.push(`<text class="head${countsDiffer ? ' bad' : ''}" x="${x.actual}" y="20">${esc(`actual: ${plural(nActual)}`)}</text>`);

  // Page rows and the ruler; a label every page when there is room.
  const every = Math.ceil(14 / ph);
  for (let p = lo; p <= hi; p++) {
    out.push(`<line class="grid" x1="${RULER - 6}" x2="${x.actual + COLUMN}" y1="${y(p)}" y2="${y(p)}"/>`);
    if (p < hi && (p - lo) % every === 0) out.push(`<text class="ruler" x="${RULER - 10}" y="${y(p) + Math.min(ph, 16) - 3}">${p}</text>`);
  }

  for (const b of boxes) {
    const top = y(b.at) + 2;
    const h = Math.max(1, b.pages * ph - 4);
    const left = x[b.side] + 2;
    const w = COLUMN - 4;
    const cls = ['vma', permsClass(b.perms), b.differs.length ? 'differs' : '', b.differs.includes('vma') ? (b.side === 'expected' ? 'missing' : 'unexpected') : ''].filter(Boolean).join(' ');
    const text = h >= TEXT_ROOM ? `<svg x="${left}" y="${top}" width="${w}" height="${h}"><text x="6" y="${Math.min(h / 2 + 4, 16)}">${label(b)}</text></svg>` : '';
    out.push(
      `<g class="${cls}" data-side="${b.side}" data-index="${b.index}" data-at="${b.at}" data-pages="${b.pages}"${b.differs.length ? ` data-differs="${b.differs.join(' ')}"` : ''}>` +
        `<title>${esc(b.tip)}</title><rect x="${left}" y="${top}" width="${w}" height="${h}" rx="3"/>${text}</g>`,
    );
  }
  for (const m of marks) out.push(`<text class="mark" x="${x.actual + COLUMN + 8}" y="${y(m.at) + Math.min(ph, 16) - 2}">${esc(m.text)}</text>`);

  const aria = `${ctx.path} (${ctx.proc}): expected and actual VMAs over pages ${lo} to ${hi - 1}`;
  return `<svg class="layout" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(aria)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${out.join('')}</svg>`;
}
