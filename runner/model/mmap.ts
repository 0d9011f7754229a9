// mmap(MAP_FIXED) and munmap in the window (mm/mmap.c do_mmap(), mmap_region(); mm/vma.c
// do_vmi_munmap()). A private anonymous mapping gets pgoff = its address's page and VM_ACCOUNT when
// writable without MAP_NORESERVE (accountable_mapping()); a shared one a shmem file of its own
// (shmem_zero_setup(), pgoff 0); a file backing (c-helpers/probe_steps.h run_mapfd(): a file of its
// own per map step, sized to the mapping) pgoff 0. The new VMA merges with its neighbours where it
// must (./merge.ts).
import type { MapBacking } from '../cases/steps.js';
import { placeNew, anonForFault } from './merge.js';
import { coverAt, inWindow, newId, unmapRange, type MappedFile, type Space, type VmFlag } from './space.js';
import { mustKnow } from './unknown.js';

/**
 * The file a map step maps, or null for private anonymous memory. `base` names a tmpfs file or a
 * memfd (runner/cases/steps/plan.ts backingBase()). The guest mounts /tmp and /dev noexec.
 */
function fileOf(backing: MapBacking | undefined, shared: boolean, pages: number, base: string): MappedFile | null {
  // shmem_zero_setup(): a shmem file named "dev/zero", unlinked; `noexec`: mapped through /dev/zero (its mount's noexec stays: no VM_MAYEXEC).
  const zeroSetup = (noexec: boolean): MappedFile => ({ path: '/dev/zero (deleted)', pages, anonShmem: true, anonymous: false, noexec });
  switch (backing?.kind) {
    case undefined:
      return shared ? zeroSetup(false) : null;
    case 'zero':
      // mmap_zero(): shared is shmem_zero_setup(); private is anonymous memory with /dev/zero as vm_file.
      return shared ? zeroSetup(true) : { path: '/dev/zero', anonShmem: false, anonymous: true, noexec: true };
    case 'memfd':
      return { path: `/memfd:vmaspec-${base} (deleted)`, pages, anonShmem: true, anonymous: false, noexec: false };
    case 'tmpfs':
      // shmem_mmap(): a file with no link at mmap time is anonymous shared memory (R10b); one unlinked after stays a file (R10).
      return { path: `/tmp/vmaspec-${base}${backing.unlink ? ' (deleted)' : ''}`, pages, anonShmem: backing.unlink === 'before', anonymous: false, noexec: true };
  }
}

/** What a `map` step asks for, as the case model resolves it (runner/cases/steps.ts). */
export interface MapCall {
  at: number;
  pages: number;
  prot: string;
  shared: boolean;
  flags: readonly string[];
  backing?: MapBacking;
  /** The name part of a backing's file. */
  base: string;
}

/** The `map` step: null, or EEXIST for MAP_FIXED_NOREPLACE over a VMA, EPERM for PROT_EXEC of a file on a noexec mount. */
export function mmap(s: Space, c: MapCall): string | null {
  const start = c.at;
  const end = c.at + c.pages;
  inWindow(s, start, end);
  const known = new Set(['noreserve', 'populate', 'fixed_noreplace']);
  const other = c.flags.filter((f) => !known.has(f));
  mustKnow(other.length === 0, `map flags ${other.join(', ')}`);
  if (c.flags.includes('fixed_noreplace')) {
    // MAP_FIXED_NOREPLACE: EEXIST when any VMA, the reserve included, overlaps the range.
    for (let p = start; p < end; p++) if (coverAt(s, p).kind !== 'hole') return 'EEXIST';
  }
  const mapped = fileOf(c.backing, c.shared, c.pages, c.base);
  // do_mmap(): PROT_EXEC of a file on a noexec mount, before anything is unmapped.
  if (mapped?.noexec && c.prot.includes('x')) return 'EPERM';
  const writable = c.prot.includes('w');
  const flags = new Set<VmFlag>();
  if (c.flags.includes('noreserve')) flags.add('nr');
  else if (writable && !c.shared) flags.add('ac');
  unmapRange(s, start, end);
  const file = mapped ? newId(s) : null;
  if (file !== null && mapped) s.files.set(file, mapped);
  const v = placeNew(s, start, end, {
    prot: c.prot,
    shared: c.shared,
    flags,
    name: null,
    pgoff: file !== null ? 0 : start,
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
