// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME) (kernel/sys.c prctl_set_vma(); mm/madvise.c
// madvise_set_anon_name(), madvise_vma_anon_name()): the name checks R3, R4, R8, then the madvise
// walk (R13), EBADF for a VMA with a file that is not anonymous shared memory (R10, R10b).
// fail_nth (R5, R11): a name's allocations come first, in order: strndup_user()'s copy (after the
// length check), then, after the character check, anon_vma_name_alloc(): ENOMEM; the next is the
// walk's first split, whose ENOMEM madvise_vma_anon_name() turns into EAGAIN.
import { CASE_PAGE_SIZE } from '../cases/shapes.js';
import type { ModelKernel } from './kernel.js';
import { madviseWalk, type Injection } from './modify.js';
import { inWindow, type Space } from './space.js';
import { mustKnow } from './unknown.js';

/** The prctl's name limit: 80 bytes with the NUL (R3, ANON_VMA_NAME_MAX_LEN). */
const NAME_MAX = 80;
/** is_valid_name_char() (R4): printable ASCII but `\`, backquote, `$`, `[`, `]`. */
const validChar = (b: number): boolean => b >= 0x20 && b <= 0x7e && !'\\`$[]'.includes(String.fromCharCode(b));

/** What a `name` step asks for, as the case model resolves it. */
export interface NameCall {
  start: number;
  len: number | bigint;
  name: Uint8Array | null;
  pointer?: string;
  failNth?: number;
  target?: string;
}

/** Text of a name as maps shows it inside `[anon:…]`: its bytes, each one character. */
export const nameText = (b: Uint8Array): string => String.fromCharCode(...b);

/** The prctl of a `name` step on the window: null or the errno. */
export function nameRange(s: Space, k: ModelKernel, c: NameCall): string | null {
  mustKnow(c.pointer === undefined, 'a bad name pointer');
  mustKnow(c.target === undefined, 'a VMA outside the window');
  // strndup_user() reads at most 80 bytes: a NUL inside the first 80 ends the name.
  const nul = c.name?.indexOf(0) ?? -1;
  const bytes = c.name && nul >= 0 ? c.name.subarray(0, nul) : c.name;
  // The allocations before the walk count down the fail_nth (0: none armed). A fail_nth the call
  // does not reach is fine for EINVAL and success (runner/verdict/outcome.ts), not for ENOMEM.
  let nth = c.failNth ?? 0;
  const allocate = (): boolean => nth > 0 && --nth === 0;
  if (bytes && bytes.length >= NAME_MAX) return 'EINVAL';
  if (bytes && allocate()) return 'ENOMEM';
  if (bytes && ![...bytes].every(validChar)) return 'EINVAL';
  if (bytes && allocate()) return 'ENOMEM';
  mustKnow(nth <= 1, 'a fail_nth past the walk\'s first allocation');
  mustKnow(typeof c.len === 'number' && c.start % CASE_PAGE_SIZE === 0, 'a byte length or start the model does not follow');
  const len = c.len as number;
  if (len === 0) return null;
  const start = c.start / CASE_PAGE_SIZE;
  const end = start + Math.ceil(len / CASE_PAGE_SIZE);
  inWindow(s, start, end);
  const name = bytes ? nameText(bytes) : null;
  const injection: Injection = { armed: nth === 1, errno: 'EAGAIN' };
  const errno = madviseWalk(s, start, end, (v) => {
    // 6.12: a file VMA without the anon-shmem ops (R10); 6.1: any file VMA, shared anonymous memory included.
    if (v.file !== null && !(k.namesSharedAnon && s.files.get(v.file)?.anonShmem)) return { errno: 'EBADF' };
    return { prot: v.prot, shared: v.shared, flags: v.flags, name, pgoff: v.pgoff, anon: v.anon, file: v.file };
  }, injection);
  // An ENOMEM with the failure not injected (a hole, R13) is one the judge would take for the injection's.
  mustKnow(!injection.armed || errno !== 'ENOMEM', 'a hole\'s ENOMEM with a fail_nth the walk does not reach');
  return errno;
}
