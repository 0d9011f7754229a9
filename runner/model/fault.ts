// The `touch` step: one byte of each page, in order, until a page faults (c-helpers/vmaprobe.c
// touch_all()). A write to a private page allocates an anonymous page and, on the VMA's first
// fault, its anon_vma (mm/memory.c do_anonymous_page(), anon_vma_prepare()); a read of an
// untouched private page maps the shared zero page, which smaps does not count and which gives no
// anon_vma (A5, D5); a write to a private file page copies it into an anonymous page (COW). A
// shared page is a shmem page either way. A file page past the file's end is SIGBUS.
import { anonForFault } from './merge.js';
import { coverAt, inWindow, newId, type Space } from './space.js';
import { mustKnow } from './unknown.js';

/** The `touch` step on pages [at, at+pages): null, or EFAULT at the first page that faults. */
export function touch(s: Space, at: number, pages: number, access: 'r' | 'w'): string | null {
  inWindow(s, at, at + pages);
  for (let p = at; p < at + pages; p++) {
    const c = coverAt(s, p);
    if (c.kind !== 'vma') return 'EFAULT';
    const v = c.vma;
    // A page past the end of its file (a mapping grown by mremap) is SIGBUS (shmem_fault()).
    if (v.file !== null && v.pgoff + (p - v.start) >= (s.files.get(v.file)?.pages ?? Infinity)) return 'EFAULT';
    if (access === 'w') {
      if (!v.prot.includes('w')) return 'EFAULT';
      if (v.shared) s.pages[p] = 'shmem';
      else {
        if (v.anon === null) v.anon = anonForFault(s, v, () => newId(s));
        s.pages[p] = 'anon';
      }
    } else {
      if (v.prot === '---') return 'EFAULT';
      // Exec-only pages: x86 may make them unreadable with protection keys (PKU).
      mustKnow(v.prot.includes('r') || v.prot.includes('w'), 'a read of an exec-only page');
      if (v.shared) s.pages[p] = 'shmem';
    }
  }
  return null;
}
