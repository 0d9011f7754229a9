// The `hole: true` and `reserve: true` entries of `layout` and `contains` (kernel-behaviour R21,
// R13): a range that no VMA overlaps at all, the window reserve included, or one the window
// reserve holds (told apart by its perms, name and place: runner/results/maps.ts).
import type { SnapshotCheck } from '../plan/compiled.js';
import { reserveLook, type WindowVma } from '../results/maps.js';
import type { WindowInfo } from '../results/types.js';
import { visible } from '../util/text.js';
import { failer, type StepWhere } from './failure.js';
import { describeVma } from './select.js';
import type { Failure } from './types.js';

/** `page 4` or `pages 4-5`, for pages [lo, hi). */
const pagesText = (lo: number, hi: number): string => (hi - lo === 1 ? `page ${lo}` : `pages ${lo}-${hi - 1}`);
const it = (lo: number, hi: number): string => (hi - lo === 1 ? 'it' : 'them');

/** The failures of one hole or reserve entry against the VMAs of a snapshot that overlap the reservation (`maps`: its lines, shown with a failure). */
export function judgeSpan(check: Extract<SnapshotCheck, { kind: 'span' }>, vmas: readonly WindowVma[], window: WindowInfo, maps: readonly string[], where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const { at, pages, held } = check.expect;
  const end = at + pages;
  const details = maps.map((l) => visible(l));
  const over = vmas.filter((v) => v.at < end && at < v.at + v.pages);
  const part = (v: WindowVma): [number, number] => [Math.max(v.at, at), Math.min(v.at + v.pages, end)];
  const look = (v: WindowVma): string => `${v.perms} ${v.name}`.trimEnd();
  if (held === 'hole') {
    return over.map((v) => {
      const [lo, hi] = part(v);
      const by = v.reserve ? `the window reserve holds ${it(lo, hi)} (${look(v)})` : `the ${describeVma(v)} holds ${it(lo, hi)}`;
      return fail(check.list, check.path, `${pagesText(lo, hi)} should be a hole (no VMA); ${by}`, 'hole', look(v), details);
    });
  }
  const want = reserveLook(window);
  const out: Failure[] = [];
  const gap = (lo: number, hi: number): void => {
    out.push(fail(check.list, check.path, `${pagesText(lo, hi)} should be held by the window reserve (${want}); ${hi - lo === 1 ? 'it is' : 'they are'} a hole: no VMA`, want, null, details));
  };
  let next = at;
  for (const v of over) {
    const [lo, hi] = part(v);
    if (lo > next) gap(next, lo);
    if (!v.reserve) out.push(fail(check.list, check.path, `${pagesText(lo, hi)} should be held by the window reserve (${want}); the ${describeVma(v)} holds ${it(lo, hi)}`, want, look(v), details));
    next = hi;
  }
  if (next < end) gap(next, end);
  return out;
}
