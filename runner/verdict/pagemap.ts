// Compares `expect.pagemap` items (kernel-behaviour.md PG1) with the pagemap entries of
// their pages: each named bit, on every page of the range.
import { areaRangeText } from '../cases/area.js';
import type { PagemapExpect } from '../cases/expect-types.js';
import type { Expected } from '../plan/compiled.js';
import { pagemapBit, type PagemapEntry } from '../results/pagemap.js';
import { failer, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

/** `2, 3, 5-7`: page numbers as short ranges. */
export function pageList(pages: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < pages.length; ) {
    let j = i;
    while (j + 1 < pages.length && (pages[j + 1] ?? 0) === (pages[j] ?? 0) + 1) j++;
    out.push(i === j ? String(pages[i]) : `${pages[i]}-${pages[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/** Failures of one pagemap item: per bit, the pages where it differs. */
export function judgePagemap(check: Expected<PagemapExpect>, entries: readonly PagemapEntry[], where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const { path: base, expect: p } = check;
  const r = p.range;
  const span = 'area' in r ? areaRangeText(r) : r.pages === 1 ? `page ${r.at}` : `pages ${r.at}-${r.at + r.pages - 1}`;
  const out: Failure[] = [];
  for (const [bit, want] of p.bits) {
    const bad = entries.filter((e) => pagemapBit(e.entry, bit) !== want);
    if (bad.length === 0) continue;
    const pages = pageList(bad.map((e) => e.page));
    out.push(
      fail('pagemap', `${base}.${bit}`, `${span}: ${bit}: expected ${want ? 'set' : 'clear'}, got ${want ? 'clear' : 'set'} on page${bad.length === 1 ? '' : 's'} ${pages}`, String(want), pages, bad.map((e) => `page ${e.page}: 0x${e.entry.toString(16).padStart(16, '0')}`)),
    );
  }
  return out;
}
