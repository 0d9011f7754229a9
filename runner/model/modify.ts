// Changing the attributes of part of the address space, VMA by VMA: vma_modify() (mm/vma.c) merges
// the changed range into a neighbour where it must (./merge.ts), else splits it off; the walks of
// mprotect (mm/mprotect.c do_mprotect_pkey()) and madvise/prctl (mm/madvise.c madvise_walk_vmas())
// differ in how they treat holes.
import { mergeExisting, mergesExisting, sameKind, type Proposal } from './merge.js';
import { coverAt, splitAt, vmaAt, type Space, type Vma } from './space.js';
import { mustKnow } from './unknown.js';

/** What a change makes of one VMA: its new attributes (flags, prot, name), or an errno that ends the walk. */
export type Change = (v: Vma) => Proposal | { errno: string };

/** vma_modify(): [start, end) of `v` (inside it) gets `p`; no-op when nothing changes (R18, mprotect_fixup()'s newflags == oldflags). */
function modifyVma(s: Space, v: Vma, start: number, end: number, p: Proposal): Vma {
  if (sameKind(p, v)) return v;
  const merged = mergeExisting(s, v, start, end, p);
  if (merged) return merged;
  splitAt(s, start);
  splitAt(s, end);
  const piece = vmaAt(s, start);
  if (!piece) throw new Error(`no VMA at page ${start} after the split`);
  Object.assign(piece, { prot: p.prot, flags: p.flags, name: p.name });
  return piece;
}

/** The proposal of `v` as it is. */
export const proposalOf = (v: Vma): Proposal => ({ prot: v.prot, shared: v.shared, flags: v.flags, name: v.name, pgoff: v.pgoff, anon: v.anon, file: v.file });

/**
 * An injected allocation failure (fail_nth, R5) a walk runs under: while `armed`, the walk's next
 * allocation fails and the walk ends with `errno`. The first allocation of a change is certain only
 * for a split (`__split_vma()`'s `vm_area_dup()`); a merge may preallocate maple nodes or not (a "may").
 */
export interface Injection {
  armed: boolean;
  errno: string;
}

/** Applies `change` to the part of one VMA in [cursor, end); the VMA that then holds `cursor` ends where the walk goes on. */
function step(s: Space, v: Vma, cursor: number, end: number, change: Change, injection?: Injection): { next: number } | { errno: string } {
  const to = Math.min(end, v.end);
  const c = change(v);
  if ('errno' in c) return c;
  const p = { ...c, pgoff: v.pgoff + (cursor - v.start), anon: v.anon, file: v.file, shared: v.shared };
  if (injection?.armed && !sameKind(p, v)) {
    mustKnow(!mergesExisting(s, v, cursor, to, p), 'an injected allocation failure in a merge');
    if (cursor > v.start || to < v.end) {
      injection.armed = false;
      return { errno: injection.errno };
    }
  }
  const done = modifyVma(s, v, cursor, to, p);
  return { next: Math.min(end, Math.max(to, done.end)) };
}

/** do_mprotect_pkey(): a hole at the start or on the way is ENOMEM; the VMAs before it are changed. */
export function mprotectWalk(s: Space, start: number, end: number, change: Change): string | null {
  let cursor = start;
  while (cursor < end) {
    const c = coverAt(s, cursor);
    if (c.kind === 'hole') return 'ENOMEM';
    const r = step(s, c.vma, cursor, end, change);
    if ('errno' in r) return r.errno;
    cursor = r.next;
  }
  return null;
}

/** madvise_walk_vmas(): holes are skipped and reported as ENOMEM at the end (R13); a VMA's error ends the walk at once (R10). */
export function madviseWalk(s: Space, start: number, end: number, change: Change, injection?: Injection): string | null {
  let cursor = start;
  let hole = false;
  while (cursor < end) {
    const c = coverAt(s, cursor);
    if (c.kind === 'hole') {
      hole = true;
      cursor++;
      continue;
    }
    const r = step(s, c.vma, cursor, end, change, injection);
    if ('errno' in r) return r.errno;
    cursor = r.next;
  }
  return hole ? 'ENOMEM' : null;
}
