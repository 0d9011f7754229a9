// Which VMA an observation expectation speaks of (a `VmaSelector`), among the VMAs of one
// snapshot that overlap the window, reservation pieces included.
import type { VmaSelector } from '../cases/expect-types.js';
import type { WindowVma } from '../results/maps.js';
import { quoted } from '../util/text.js';

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** `VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:a]")`. */
export function describeVma(v: WindowVma): string {
  const what = v.reserve ? 'the window reserve' : `${v.perms}${v.name ? ` ${quoted(v.name)}` : ' unnamed'}`;
  return `VMA at page ${v.at} (${v.address}, ${plural(v.pages, 'page')}, ${what})`;
}

/** `page 3` or `pages 3-5`. */
export const selectorText = (s: VmaSelector): string => (s.pages === null || s.pages === 1 ? `page ${s.at}` : `pages ${s.at}-${s.at + s.pages - 1}`);

/**
 * The VMA holding the selector's page; with `pages`, it must start there and span exactly that.
 * A piece of the window reserve is an error unless `allowReserve` (its maps line is deterministic too).
 */
export function selectVma(vmas: readonly WindowVma[], sel: VmaSelector, allowReserve = false): { vma: WindowVma } | { error: string } {
  const v = vmas.find((x) => x.at <= sel.at && sel.at < x.at + x.pages);
  if (!v) return { error: `no VMA holds page ${sel.at}` };
  if (sel.pages !== null && (v.at !== sel.at || v.pages !== sel.pages)) {
    return { error: `expected one VMA spanning exactly ${selectorText(sel)}, found the ${describeVma(v)}` };
  }
  if (v.reserve && !allowReserve) return { error: `page ${sel.at} is not mapped by the case: it is in the ${describeVma(v)}` };
  return { vma: v };
}
