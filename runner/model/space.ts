// The model's address space: the case window page by page. A page is in a VMA or a hole. The
// window reserve is VMAs like the case's (c-helpers/vmaprobe.c reserve_window(): pages -1 to the
// window's end, PROT_NONE, private, MAP_NORESERVE, named `vmaspec:window`), so the same rules split,
// rename and merge its pieces; a layout leaves out the pieces that still look like it.
// Each VMA carries what the kernel's merge and split rules read (mm/vma.c): flags, name, file,
// pgoff and anon_vma; each page carries what smaps counts of it.
import { RESERVE_NAME } from '../results/maps.js';
import { mustKnow } from './unknown.js';

/** VM_* flags the model tracks beyond the access bits, by their smaps VmFlags code. */
export type VmFlag = 'ac' | 'nr' | 'dc' | 'wf' | 'dd' | 'hg' | 'nh' | 'mg' | 'rr' | 'sr';
export const TRACKED_FLAGS: readonly VmFlag[] = ['ac', 'nr', 'dc', 'wf', 'dd', 'hg', 'nh', 'mg', 'rr', 'sr'];

/** What smaps counts of a page: not resident (or the shared zero page, A5), a private anonymous page, a shmem page. */
export type Residency = 'none' | 'anon' | 'shmem';

/** One VMA as the merge and split rules read it. */
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
  /** Identity of the file mapped (`Space.files`): the shmem file of shared anonymous memory, a tmpfs file, a memfd, /dev/zero; null for anonymous memory. */
  file: number | null;
}

/** The address space of the process the model follows, over the window and its guard pages. */
export interface Space {
  window: number;
  /** The VMAs over pages -1 to `window` (the reserve's guard pages), in address order, disjoint. */
  vmas: Vma[];
  /** Per window page: what smaps counts of it (meaningful inside a VMA). */
  pages: Residency[];
  /** The next identity for an anon_vma or a shmem file. */
  nextId: number;
  /** The files VMAs map, by identity. */
  files: Map<number, MappedFile>;
}

/** A file a VMA maps, as the rules read it (mm/shmem.c shmem_mmap(), shmem_zero_setup(); drivers/char/mem.c mmap_zero()). */
export interface MappedFile {
  /** The maps path column of an unnamed VMA of it. */
  path: string;
  /** Its size in pages (a fault past it is SIGBUS); undefined: no end (/dev/zero). */
  pages?: number;
  /** vm_ops is shmem_anon_vm_ops (shared anonymous memory, a memfd, a shmem file mapped while unlinked): it can be named (R10b). */
  anonShmem: boolean;
  /** vma_is_anonymous(): no vm_ops (private /dev/zero). */
  anonymous: boolean;
  /** Opened on a noexec mount (the guest's /tmp and /dev, c-helpers/init.c mount_fs()): no VM_MAYEXEC. */
  noexec: boolean;
}

/** vma_is_anonymous(): no file, or a private /dev/zero. */
export const isAnonymous = (s: Space, v: Vma): boolean => v.file === null || s.files.get(v.file)?.anonymous === true;

/** The name the probe gives the window reserve (c-helpers/vmaprobe.c WINDOW_NAME), from how maps shows it. */
export const RESERVE = RESERVE_NAME.slice('[anon:'.length, -1);

/** A VMA that looks like the reserve: a layout leaves it out (runner/results/maps.ts isReserve()). */
export const looksLikeReserve = (v: Vma): boolean => v.prot === '---' && !v.shared && v.name === RESERVE;

/** The window as the probe leaves it before the first step: one reserve VMA over pages -1 to `window`. */
export function newSpace(window: number): Space {
  const reserve: Vma = { start: -1, end: window + 1, prot: '---', shared: false, flags: new Set(['nr']), name: RESERVE, pgoff: -1, anon: null, file: null };
  return { window, vmas: [reserve], pages: Array<Residency>(window).fill('none'), nextId: 1, files: new Map() };
}

export const vmaPages = (v: Vma): number => v.end - v.start;

/** The VMA holding a page, if any. */
export const vmaAt = (s: Space, page: number): Vma | undefined => s.vmas.find((v) => v.start <= page && page < v.end);

/** The VMA ending right at `page` (the candidate `prev` of a merge). */
export const endingAt = (s: Space, page: number): Vma | undefined => s.vmas.find((v) => v.end === page);
/** The VMA starting right at `page` (the candidate `next`). */
export const startingAt = (s: Space, page: number): Vma | undefined => s.vmas.find((v) => v.start === page);

/** What covers a page: a VMA (the reserve's pieces included) or a hole. */
export type Cover = { kind: 'vma'; vma: Vma } | { kind: 'hole' };
export function coverAt(s: Space, page: number): Cover {
  const v = vmaAt(s, page);
  return v ? { kind: 'vma', vma: v } : { kind: 'hole' };
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

/** Removes every VMA page in [start, end), the reserve's too (`do_vmi_munmap()`): the range becomes a hole. */
export function unmapRange(s: Space, start: number, end: number): void {
  splitAt(s, start);
  splitAt(s, end);
  s.vmas = s.vmas.filter((v) => v.end <= start || v.start >= end);
  for (let p = start; p < end; p++) s.pages[p] = 'none';
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

/** A fresh identity for an anon_vma or a shmem file. */
export function newId(s: Space): number {
  return s.nextId++;
}
