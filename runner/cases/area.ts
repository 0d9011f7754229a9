// Heap and stack pages as a case names them: `target: heap | stack` with `page`, `pages` or
// `below`, counted from the area's first look (the probe's `Z` records, docs/protocol.md). One
// selector for every key that speaks of such pages (`touch`, `expect.pagemap`); `expect.smaps`
// takes `target` alone (the VMA holding the area's anchor page).
import { PAGE_AREAS, type PageArea } from '../plan/observe-ops.js';
import type { Resolver } from './resolve.js';
import { int, oneOf } from './shapes.js';
import { sub, type KeyPath } from './tree.js';

/** `target:` of a selector: the heap (from its first page) or the stack (from its lowest page), as first seen. */
export const AREA_TARGET = oneOf(PAGE_AREAS).describe("heap: pages from the heap's first page; stack: from the lowest page of [stack] as the probe first saw it");

/** The keys of an area selector besides RANGE_KEYS's `page` and `pages`. */
export const AREA_KEYS = {
  target: AREA_TARGET.optional(),
  below: int(1, 1 << 20, ' (pages below the stack as first seen)').describe('stack: the page this many pages below the lowest page of [stack] as first seen (pages then go up from it)').optional(),
};

/** Pages of an area: `first` counts from its first page as first seen (negative: below the stack). */
export interface AreaRange {
  area: PageArea;
  first: number;
  pages: number;
}

/** What an area selector is written with. */
export interface AreaKeys {
  target: PageArea;
  page?: number | undefined;
  pages?: number | undefined;
  below?: number | undefined;
  region?: string | undefined;
  at?: number | undefined;
}

/**
 * The pages an area selector names; undefined once a mistake is reported. The heap's pages must
 * lie in the heap as the earlier `brk` steps grew it unless `beyondHeap` (a touch that expects
 * EFAULT); the stack's are checked by the probe (their number is the kernel's: 33 in the guest).
 */
export function areaRange(r: Resolver, s: AreaKeys, path: KeyPath, { beyondHeap = false } = {}): AreaRange | undefined {
  const at = (k: string): KeyPath => sub(path, k);
  if (s.region !== undefined || s.at !== undefined) return void r.error(at(s.region !== undefined ? 'region' : 'at'), 'give region, at or target, not two', 'key');
  if (s.below !== undefined && s.page !== undefined) return void r.error(at('below'), 'give page or below, not both', 'key');
  if (s.target === 'heap') {
    if (s.below !== undefined) return void r.error(at('below'), 'below is for the stack, which grows down; the heap grows up with brk: { grow }', 'key');
    if (!r.hasHeap(at('target'))) return undefined;
    const page = s.page ?? 0;
    const pages = s.pages ?? Math.max(r.heapPages - page, 1);
    if (!beyondHeap && page + pages > r.heapPages) {
      return void r.error(at(s.pages !== undefined ? 'pages' : 'page'), `heap pages ${page}..${page + pages - 1} run past the heap (${r.heapPages} pages after the brk steps so far)`);
    }
    return { area: 'heap', first: page, pages };
  }
  const first = s.below !== undefined ? -s.below : (s.page ?? 0);
  return { area: 'stack', first, pages: s.pages ?? 1 };
}

/** The pages of a selector that takes area keys: the area's with `target`, else those `window` picks (`below` needs target stack). */
export function pagesOf<T>(r: Resolver, s: Omit<AreaKeys, 'target'> & { target?: PageArea | undefined }, path: KeyPath, window: () => T | undefined, opts = {}): AreaRange | T | undefined {
  if (s.target !== undefined) return areaRange(r, { ...s, target: s.target }, path, opts);
  if (s.below !== undefined) return void r.error(sub(path, 'below'), 'below counts pages below the stack: give target: stack', 'key');
  return window();
}

/** `heap page 2`, `stack pages -65..-64`: an area range in messages. */
export function areaRangeText(a: AreaRange): string {
  return a.pages === 1 ? `${a.area} page ${a.first}` : `${a.area} pages ${a.first}..${a.first + a.pages - 1}`;
}
