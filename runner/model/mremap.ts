// mremap of a whole region (mm/mremap.c): resize in place (flags 0) or move with
// MREMAP_MAYMOVE|MREMAP_FIXED (mremap_to(), vma_to_resize(), move_vma(); copy_vma() in mm/vma.c
// 6.12, mm/mmap.c 6.1). MR4–MR8 of docs/kernel-behaviour.md.
import { placeNew, sameKind } from './merge.js';
import { proposalOf } from './modify.js';
import { coverAt, inWindow, isAnonymous, unmapRange, vmaAt, type Residency, type Space } from './space.js';
import { mustKnow } from './unknown.js';

/** What an `mremap` step asks for: the region's pages now, the new size, the destination page or null. */
export interface MremapCall {
  at: number;
  pages: number;
  newPages: number;
  to: number | null;
}

/** vma_lookup() + vma_to_resize(): the VMA holding [at, at+pages), or an errno. */
function source(s: Space, at: number, pages: number): { errno: string } | { ok: true } {
  const c = coverAt(s, at);
  if (c.kind === 'hole') return { errno: 'EFAULT' };
  if (pages > c.vma.end - at) return { errno: 'EFAULT' };
  return { ok: true };
}

function resizeInPlace(s: Space, c: MremapCall): string | null {
  const { at, pages, newPages } = c;
  // The same size in place: the address back, nothing changes (both `old_len >= new_len` branches).
  if (newPages === pages) return null;
  if (newPages < pages) {
    // Shrinking unmaps the tail first, whatever is there (MR8).
    unmapRange(s, at + newPages, at + pages);
    return null;
  }
  const src = source(s, at, pages);
  if ('errno' in src) return src.errno;
  const v = vmaAt(s, at);
  if (!v) throw new Error('no source VMA');
  // Growing in place needs the range to end at the VMA's end, and nothing after it (vma_expandable()).
  if (at + pages !== v.end) return 'ENOMEM';
  const end = at + newPages;
  inWindow(s, at, end);
  for (let p = v.end; p < end; p++) if (coverAt(s, p).kind !== 'hole') return 'ENOMEM';
  // vma_merge_extend() could merge the grown VMA with a like VMA right after it: not followed.
  const after = coverAt(s, end);
  mustKnow(after.kind !== 'vma' || !sameKind(proposalOf(v), after.vma), 'growth in place up to a VMA it could merge with');
  v.end = end;
  return null;
}

function move(s: Space, c: MremapCall, to: number): string | null {
  const { at } = c;
  let pages = c.pages;
  const newPages = c.newPages;
  inWindow(s, to, to + newPages);
  // Overlapping source and destination: EINVAL before anything (MR3, MR4).
  if (at + pages > to && to + newPages > at) return 'EINVAL';
  // The destination is unmapped first (MR5), then a shrinking source loses its tail (MR8).
  unmapRange(s, to, to + newPages);
  if (pages > newPages) {
    unmapRange(s, at + newPages, at + pages);
    pages = newPages;
  }
  const src = source(s, at, pages);
  if ('errno' in src) return src.errno;
  const v = vmaAt(s, at);
  if (!v) throw new Error('no source VMA');
  // copy_vma(): an unfaulted anonymous VMA gets pgoff = its new address (MR7); a faulted one, or
  // a file's VMA, keeps its own.
  const pgoff = isAnonymous(s, v) && v.anon === null ? to : v.pgoff + (at - v.start);
  const moved: Residency[] = s.pages.slice(at, at + pages);
  placeNew(s, to, to + newPages, { prot: v.prot, shared: v.shared, flags: v.flags, name: v.name, pgoff, anon: v.anon, file: v.file });
  for (let i = 0; i < newPages; i++) s.pages[to + i] = i < pages ? (moved[i] ?? 'none') : 'none';
  // The source becomes a hole (MR4); the VMA's pieces around it keep their attributes.
  unmapRange(s, at, at + pages);
  return null;
}

/** The `mremap` step: null, or EFAULT, EINVAL, ENOMEM. */
export function mremap(s: Space, c: MremapCall): string | null {
  inWindow(s, c.at, c.at + c.pages);
  // vma_lookup() of the old address comes first, before any path: a hole there is EFAULT.
  if (coverAt(s, c.at).kind === 'hole') return 'EFAULT';
  return c.to === null ? resizeInPlace(s, c) : move(s, c, c.to);
}
