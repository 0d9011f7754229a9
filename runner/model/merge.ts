// Where the kernel must merge: mm/vma.c (6.12; mm/mmap.c vma_merge() in 6.1, same conditions).
// is_mergeable_vma(): equal flags, file, name (anon_vma_name_eq(): strings); is_mergeable_anon_vma():
// the anon_vmas are equal, or the proposed one is null and the neighbour's anon_vma_chain is
// singular (every VMA of a process that did not come from fork: the model simulates no child);
// contiguous pgoff. A faulted range never merges into an unfaulted neighbour (S9), the reverse
// does (S9r).
import { endingAt, insertVma, joinVmas, startingAt, vmaPages, type Space, type Vma } from './space.js';

/** What a merge compares: the attributes of the range to place (the `vma_merge_struct`). */
export type Proposal = Omit<Vma, 'start' | 'end'>;

const sameFlags = (a: Proposal, b: Vma): boolean => a.prot === b.prot && a.shared === b.shared && a.flags.size === b.flags.size && [...a.flags].every((f) => b.flags.has(f));

/** is_mergeable_vma() without the pgoff and anon_vma tests. */
export const sameKind = (a: Proposal, b: Vma): boolean => sameFlags(a, b) && a.name === b.name && a.file === b.file;

/** is_mergeable_anon_vma(proposed, neighbour->anon_vma, neighbour): an empty chain is not singular. */
const anonFits = (proposed: number | null, neighbour: Vma): boolean => proposed === null || proposed === neighbour.anon;

/** can_vma_merge_after(): `p` placed at [start, …) may extend `prev`. */
const fitsAfter = (p: Proposal, start: number, prev: Vma | undefined): prev is Vma =>
  prev !== undefined && prev.end === start && sameKind(p, prev) && anonFits(p.anon, prev) && prev.pgoff + vmaPages(prev) === p.pgoff;

/** can_vma_merge_before(): `p` placed at [start, end) may extend `next` down. */
const fitsBefore = (p: Proposal, start: number, end: number, next: Vma | undefined): next is Vma =>
  next !== undefined && next.start === end && sameKind(p, next) && anonFits(p.anon, next) && next.pgoff === p.pgoff + (end - start);

/** can_vma_merge_right() with a left merge too: prev and next must not hold two different anon_vmas. */
const bothFit = (prev: Vma, next: Vma): boolean => prev.anon === null || next.anon === null || prev.anon === next.anon;

/** vma_merge_new_range(): a new VMA for [start, end) (a hole) with `p`; merged into its neighbours where it must be. */
export function placeNew(s: Space, start: number, end: number, p: Proposal): Vma {
  const prev = endingAt(s, start);
  const next = startingAt(s, end);
  const left = fitsAfter(p, start, prev);
  const right = fitsBefore(p, start, end, next) && (!left || bothFit(prev as Vma, next as Vma));
  const fresh: Vma = { ...p, start, end };
  insertVma(s, fresh);
  if (left && right) return joinVmas(s, [prev, fresh, next], { ...prev, anon: prev.anon ?? next.anon ?? p.anon });
  if (left) return joinVmas(s, [prev, fresh], { ...prev, anon: prev.anon ?? p.anon });
  if (right) return joinVmas(s, [fresh, next], { ...fresh, anon: next.anon ?? p.anon });
  return fresh;
}

/** vma_merge_existing_range()'s checks: the neighbours [start, end) of `vma` with `p` merges with; null: none. */
function existingMerge(s: Space, vma: Vma, start: number, end: number, p: Proposal) {
  const leftSide = start === vma.start;
  const rightSide = end === vma.end;
  if (!leftSide && !rightSide) return null;
  const prev = leftSide ? endingAt(s, start) : undefined;
  const next = rightSide ? startingAt(s, end) : undefined;
  const left = fitsAfter(p, start, prev);
  const right = fitsBefore(p, start, end, next) && (!left || bothFit(prev as Vma, next as Vma));
  return left || right ? { prev, next, left, right, leftSide, rightSide } : null;
}

/** Whether giving [start, end) of `vma` the attributes `p` merges it with a neighbour. */
export const mergesExisting = (s: Space, vma: Vma, start: number, end: number, p: Proposal): boolean => existingMerge(s, vma, start, end, p) !== null;

/**
 * vma_merge_existing_range(): [start, end) of `vma` gets the attributes `p` (flags, name); merged
 * with prev when it starts at vma's start, with next when it ends at vma's end. The VMA now holding
 * the range, or null when no merge applies (the caller splits, vma_modify()).
 */
export function mergeExisting(s: Space, vma: Vma, start: number, end: number, p: Proposal): Vma | null {
  const m = existingMerge(s, vma, start, end, p);
  if (!m) return null;
  const { left, right, leftSide, rightSide } = m;
  const prev = m.prev as Vma;
  const next = m.next as Vma;
  // The part of vma outside the range stays a VMA of its own, with its old attributes.
  if (left && !rightSide) vma.start = end;
  if (left && !rightSide) vma.pgoff = p.pgoff + (end - start);
  if (right && !leftSide) vma.end = start;
  const middle: Vma = { ...p, start, end };
  if (leftSide && rightSide) s.vmas = s.vmas.filter((v) => v !== vma);
  insertVma(s, middle);
  if (left && right) return joinVmas(s, [prev, middle, next], { ...prev, anon: prev.anon ?? next.anon ?? vma.anon });
  if (left) return joinVmas(s, [prev, middle], { ...prev, anon: prev.anon ?? vma.anon });
  return joinVmas(s, [middle, next], { ...middle, anon: next.anon ?? vma.anon });
}

/**
 * anon_vma_compatible() (mm/rmap.c): a neighbour whose anon_vma a first fault may reuse
 * (find_mergeable_anon_vma(): next first, then prev): adjacent, same file (names are not compared), flags equal
 * but for the access bits, contiguous pgoff.
 */
function reusable(a: Vma, b: Vma): boolean {
  if (a.end !== b.start || a.file !== b.file || a.shared !== b.shared) return false;
  if (a.flags.size !== b.flags.size || ![...a.flags].every((f) => b.flags.has(f))) return false;
  return b.pgoff === a.pgoff + vmaPages(a);
}

/** The anon_vma a first write fault in `v` gets (anon_vma_prepare()): a neighbour's (reusable_anon_vma()) or a new one. */
export function anonForFault(s: Space, v: Vma, fresh: () => number): number {
  const next = startingAt(s, v.end);
  if (next && next.anon !== null && reusable(v, next)) return next.anon;
  const prev = endingAt(s, v.start);
  if (prev && prev.anon !== null && reusable(prev, v)) return prev.anon;
  return fresh();
}
