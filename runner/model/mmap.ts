// mmap(MAP_FIXED) and munmap in the window (mm/mmap.c do_mmap(), mmap_region(); mm/vma.c
// do_vmi_munmap()). A private anonymous mapping gets pgoff = its address's page and VM_ACCOUNT when
// writable without MAP_NORESERVE (accountable_mapping()); a shared one a shmem file of its own
// (shmem_zero_setup(), pgoff 0). The new VMA merges with its neighbours where it must (./merge.ts).
import { placeNew, anonForFault } from './merge.js';
import { coverAt, inWindow, newId, unmapRange, type Space, type VmFlag } from './space.js';
import { mustKnow } from './unknown.js';

/** What a `map` step asks for, as the case model resolves it (runner/cases/steps.ts). */
export interface MapCall {
  at: number;
  pages: number;
  prot: string;
  shared: boolean;
  flags: readonly string[];
  backing?: { kind: string };
}

/** The `map` step: null, or EEXIST for MAP_FIXED_NOREPLACE over a VMA. */
export function mmap(s: Space, c: MapCall): string | null {
  const start = c.at;
  const end = c.at + c.pages;
  inWindow(s, start, end);
  mustKnow(c.backing === undefined, `backing ${c.backing?.kind}: the model knows anonymous memory only`);
  const known = new Set(['noreserve', 'populate', 'fixed_noreplace']);
  const other = c.flags.filter((f) => !known.has(f));
  mustKnow(other.length === 0, `map flags ${other.join(', ')}`);
  if (c.flags.includes('fixed_noreplace')) {
    // MAP_FIXED_NOREPLACE: EEXIST when any VMA, the reserve included, overlaps the range.
    for (let p = start; p < end; p++) if (coverAt(s, p).kind !== 'hole') return 'EEXIST';
  }
  const writable = c.prot.includes('w');
  const flags = new Set<VmFlag>();
  if (c.flags.includes('noreserve')) flags.add('nr');
  else if (writable && !c.shared) flags.add('ac');
  unmapRange(s, start, end);
  const file = c.shared ? newId(s) : null;
  if (file !== null) s.fileSizes.set(file, c.pages);
  const v = placeNew(s, start, end, {
    prot: c.prot,
    shared: c.shared,
    flags,
    name: null,
    pgoff: c.shared ? 0 : start,
    anon: null,
    file,
  });
  if (c.flags.includes('populate')) {
    // populate_vma_page_range(): a private writable VMA is faulted for write (anon pages, an
    // anon_vma); other private ones map the zero page (not counted); shared ones get shmem pages.
    mustKnow(c.prot !== '---' || c.shared, 'MAP_POPULATE of a PROT_NONE mapping');
    mustKnow(c.shared || c.prot.includes('r') || writable, 'MAP_POPULATE of an exec-only mapping');
    if (c.shared) for (let p = start; p < end; p++) s.pages[p] = 'shmem';
    else if (writable) {
      if (v.anon === null) v.anon = anonForFault(s, v, () => newId(s));
      for (let p = start; p < end; p++) s.pages[p] = 'anon';
    }
  }
  return null;
}

/** munmap: every page of the range becomes a hole, the reserve's too (MR4's "hole, not reserve"). */
export function munmap(s: Space, at: number, pages: number): string | null {
  inWindow(s, at, at + pages);
  unmapRange(s, at, at + pages);
  return null;
}
