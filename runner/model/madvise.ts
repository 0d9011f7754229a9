// madvise (mm/madvise.c): the advice that sets or clears a VM flag goes through madvise_update_vma()
// (split and merge as a rename does, ./modify.ts); MADV_DONTNEED zaps the pages (D4). Advice whose
// effect on pages the model cannot follow (free, cold, pageout, populate, collapse …) is a "may".
import { ADVICE } from '../cases/steps/advice.js';
import { madviseWalk, proposalOf } from './modify.js';
import { inWindow, type Space, type Vma, type VmFlag } from './space.js';
import { mustKnow } from './unknown.js';

/** Advice that sets flags and clears others (madvise_vma_behavior()): [set, clear]. */
const FLAG_ADVICE: Readonly<Record<string, readonly [VmFlag[], VmFlag[]]>> = {
  normal: [[], ['rr', 'sr']],
  random: [['rr'], ['sr']],
  sequential: [['sr'], ['rr']],
  dontfork: [['dc'], []],
  dofork: [[], ['dc']],
  dontdump: [['dd'], []],
  dodump: [[], ['dd']],
  wipeonfork: [['wf'], []],
  keeponfork: [[], ['wf']],
  hugepage: [['hg'], ['nh']],
  nohugepage: [['nh'], ['hg']],
  mergeable: [['mg'], []],
  unmergeable: [[], ['mg']],
};

/** The flags of `v` after an advice, or an errno of that VMA. */
function adviseFlags(v: Vma, advice: string): Set<VmFlag> | { errno: string } {
  const rule = FLAG_ADVICE[advice];
  if (!rule) throw new Error(`no flag rule for ${advice}`);
  // MADV_WIPEONFORK: only private anonymous memory (EINVAL for a file or VM_SHARED).
  if (advice === 'wipeonfork' && v.file !== null) return { errno: 'EINVAL' };
  // ksm_madvise(): a VMA KSM cannot use (VM_SHARED …) is left as it is.
  if ((advice === 'mergeable' || advice === 'unmergeable') && v.shared) return new Set(v.flags);
  const flags = new Set(v.flags);
  for (const f of rule[1]) flags.delete(f);
  for (const f of rule[0]) flags.add(f);
  return flags;
}

/**
 * madvise(MADV_<advice>) of pages [at, at+pages): null or the errno (ENOMEM after a hole, R13).
 * `swap`: whether the kernel has CONFIG_SWAP (undefined: its .config is not known).
 */
export function madvise(s: Space, at: number, pages: number, advice: string, adviceNumber: number, swap: boolean | undefined): string | null {
  const name = Object.keys(ADVICE).find((n) => ADVICE[n] === adviceNumber) ?? advice;
  inWindow(s, at, at + pages);
  const start = at;
  const end = at + pages;
  if (name in FLAG_ADVICE) {
    return madviseWalk(s, start, end, (v) => {
      const flags = adviseFlags(v, name);
      return flags instanceof Set ? { ...proposalOf(v), flags } : flags;
    });
  }
  if (name === 'dontneed' || name === 'willneed') {
    // No VMA changes; DONTNEED drops the pages of the range from the page tables (Rss), the
    // anon_vma stays (the VMA stays faulted).
    return madviseWalk(s, start, end, (v) => {
      mustKnow(name === 'dontneed' || v.file === null, 'MADV_WILLNEED of a file (readahead)');
      // madvise_willneed() of memory without a file: swap-in readahead with CONFIG_SWAP, else EBADF.
      if (name === 'willneed') {
        mustKnow(swap !== undefined, 'MADV_WILLNEED of anonymous memory and no .config (CONFIG_SWAP decides)');
        if (!swap) return { errno: 'EBADF' };
      }
      if (name === 'dontneed') for (let p = Math.max(start, v.start); p < Math.min(end, v.end); p++) s.pages[p] = 'none';
      return proposalOf(v);
    });
  }
  mustKnow(false, `MADV_${name.toUpperCase()}`);
  return null;
}
