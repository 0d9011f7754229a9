// mprotect (mm/mprotect.c do_mprotect_pkey(), mprotect_fixup()): the new prot per VMA and VM_ACCOUNT.
// Made writable: a private VMA without VM_ACCOUNT|VM_NORESERVE|VM_SHARED gets VM_ACCOUNT. Made
// non-writable: 6.12 drops VM_ACCOUNT of an anonymous VMA that has no anon_vma (M2); 6.1 keeps it.
// PROT_EXEC of a VMA without VM_MAYEXEC (a file of a noexec mount) is EACCES, the VMAs before it changed.
import type { ModelKernel } from './kernel.js';
import { mprotectWalk } from './modify.js';
import { inWindow, isAnonymous, type Space, type VmFlag } from './space.js';

/** mprotect of pages [at, at+pages) to `prot` (`rw-` style): null or ENOMEM. */
export function mprotect(s: Space, k: ModelKernel, at: number, pages: number, prot: string): string | null {
  inWindow(s, at, at + pages);
  return mprotectWalk(s, at, at + pages, (v) => {
    if (prot.includes('x') && v.file !== null && s.files.get(v.file)?.noexec) return { errno: 'EACCES' };
    const flags = new Set<VmFlag>(v.flags);
    const wasWritable = v.prot.includes('w');
    if (prot.includes('w')) {
      if (!flags.has('ac') && !wasWritable && !v.shared && !flags.has('nr')) flags.add('ac');
    } else if (k.dropsAccountOnReadOnly && flags.has('ac') && isAnonymous(s, v) && v.anon === null) flags.delete('ac');
    return { prot, shared: v.shared, flags, name: v.name, pgoff: v.pgoff, anon: v.anon, file: v.file };
  });
}
