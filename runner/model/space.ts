// The model's address space: the case window page by page. A page is in one of the case's VMAs,
// in the window reserve (PROT_NONE, named, never merging with a case VMA) or a hole (unmapped).
// Each VMA carries what the kernel's merge and split rules read (mm/vma.c): flags, name, file,
// pgoff and anon_vma; each page carries what smaps counts of it.
import { mustKnow } from './unknown.js';

/** VM_* flags the model tracks beyond the access bits, by their smaps VmFlags code. */
export type VmFlag = 'ac' | 'nr' | 'dc' | 'wf' | 'dd' | 'hg' | 'nh' | 'mg' | 'rr' | 'sr';
export const TRACKED_FLAGS: readonly VmFlag[] = ['ac', 'nr', 'dc', 'wf', 'dd', 'hg', 'nh', 'mg', 'rr', 'sr'];

/** What smaps counts of a page: not resident (or the shared zero page, A5), a private anonymous page, a shmem page, or not known. */
export type Residency = 'none' | 'anon' | 'shmem' | 'unknown';

export interface Vma {
  /** Window pages [start, end). */
  start: number;
  end: number;
  /** `rwx` style, 3 characters. */
  prot: string;
  /** MAP_SHARED anonymous memory (VM_SHARED|VM_MAYSHARE, a shmem file of its own). */
  shared: boolean;
  flags: ReadonlySet<VmFlag>;
  /** The anon_vma_name string (latin1 of its bytes), null when unnamed. */
  name: string | null;
  /** vm_pgoff in pages: the window page it was mapped at (private, `do_mmap()`), the file page (shared). */
  pgoff: number;
  /** Identity of the anon_vma; null while unfaulted (no page was ever written, A5, D5). */
  anon: number | null;
  /** Identity of the shmem file of shared anonymous memory; null for private. */
  file: number | null;
}

export interface Space {
  window: number;
  /** The case's VMAs in the window, in address order, disjoint. */
  vmas: Vma[];
  /** Per page not in a case VMA: true while the window reserve still covers it. */
  reserve: boolean[];
  /** Per page: what smaps counts of it (meaningful inside a VMA). */
  pages: Residency[];
  /** The next identity for an anon_vma or a shmem file. */
  nextId: number;
}

export function newSpace(window: number): Space {
  return { window, vmas: [], reserve: Array<boolean>(window).fill(true), pages: Array<Residency>(window).fill('none'), nextId: 1 };
}

export function cloneSpace(s: Space): Space {
  return { window: s.window, vmas: s.vmas.map((v) => ({ ...v })), reserve: [...s.reserve], pages: [...s.pages], nextId: s.nextId };
}

export const vmaPages = (v: Vma): number => v.end - v.start;

/** The case VMA holding a page, if any. */
export const vmaAt = (s: Space, page: number): Vma | undefined => s.vmas.find((v) => v.start <= page && page < v.end);

/** The case VMA ending right at `page` (the candidate `prev` of a merge); the reserve and holes never merge. */
export const endingAt = (s: Space, page: number): Vma | undefined => s.vmas.find((v) => v.end === page);
/** The case VMA starting right at `page` (the candidate `next`). */
export const startingAt = (s: Space, page: number): Vma | undefined => s.vmas.find((v) => v.start === page);

/** What covers each page of a range: a VMA, the reserve or a hole. */
export type Cover = { kind: 'vma'; vma: Vma } | { kind: 'reserve' } | { kind: 'hole' };
export function coverAt(s: Space, page: number): Cover {
  const v = vmaAt(s, page);
  if (v) return { kind: 'vma', vma: v };
  return s.reserve[page] ? { kind: 'reserve' } : { kind: 'hole' };
}

/** The range must lie inside the window: steps outside it touch VMAs the model does not hold. */
export function inWindow(s: Space, start: number, end: number): void {
  mustKnow(start >= 0 && end <= s.window && start < end, `pages ${start}..${end} leave the ${s.window}-page window`);
}

function sortVmas(s: Space): void {
  s.vmas.sort((a, b) => a.start - b.start);
}

/** Splits the VMA holding `page` so that a VMA starts there (`__split_vma()`: both parts keep flags, name, anon_vma; pgoff follows). */
export function splitAt(s: Space, page: number): void {
  const v = vmaAt(s, page);
  if (!v || v.start === page) return;
  const tail: Vma = { ...v, start: page, pgoff: v.pgoff + (page - v.start) };
  v.end = page;
  s.vmas.push(tail);
  sortVmas(s);
}

/** Removes every case VMA page in [start, end), the reserve included (`do_vmi_munmap()`): the range becomes a hole. */
export function unmapRange(s: Space, start: number, end: number): void {
  splitAt(s, start);
  splitAt(s, end);
  s.vmas = s.vmas.filter((v) => v.end <= start || v.start >= end);
  for (let p = start; p < end; p++) {
    s.reserve[p] = false;
    s.pages[p] = 'none';
  }
}

/** Inserts a VMA into a range that is a hole. */
export function insertVma(s: Space, v: Vma): void {
  s.vmas.push(v);
  sortVmas(s);
}

/** Replaces two adjacent VMAs (or more, in order) by one spanning them, with `keep`'s attributes and pgoff. */
export function joinVmas(s: Space, parts: Vma[], keep: Vma): Vma {
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!first || !last) throw new Error('joinVmas of nothing');
  const merged: Vma = { ...keep, start: first.start, end: last.end, pgoff: first === keep ? keep.pgoff : keep.pgoff - (keep.start - first.start) };
  s.vmas = s.vmas.filter((v) => !parts.includes(v));
  insertVma(s, merged);
  return merged;
}

export function newId(s: Space): number {
  return s.nextId++;
}
