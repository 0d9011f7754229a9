// Linux errno names and numbers as the x86_64 kernel returns them
// (include/uapi/asm-generic/errno-base.h and errno.h; x86 uses the generic table): one table for
// the case language (errno names a case may write), the verdict and explore (numbers the guest reports).

/** Canonical name → number. */
export const ERRNO: Readonly<Record<string, number>> = Object.freeze({
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10,
  EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20,
  EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30,
  EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENOMSG: 42, EIDRM: 43, ECHRNG: 44, EL2NSYNC: 45, EL3HLT: 46, EL3RST: 47, ELNRNG: 48, EUNATCH: 49, ENOCSI: 50,
  EL2HLT: 51, EBADE: 52, EBADR: 53, EXFULL: 54, ENOANO: 55, EBADRQC: 56, EBADSLT: 57, EBFONT: 59, ENOSTR: 60,
  ENODATA: 61, ETIME: 62, ENOSR: 63, ENONET: 64, ENOPKG: 65, EREMOTE: 66, ENOLINK: 67, EADV: 68, ESRMNT: 69, ECOMM: 70,
  EPROTO: 71, EMULTIHOP: 72, EDOTDOT: 73, EBADMSG: 74, EOVERFLOW: 75, ENOTUNIQ: 76, EBADFD: 77, EREMCHG: 78, ELIBACC: 79, ELIBBAD: 80,
  ELIBSCN: 81, ELIBMAX: 82, ELIBEXEC: 83, EILSEQ: 84, ERESTART: 85, ESTRPIPE: 86, EUSERS: 87, ENOTSOCK: 88, EDESTADDRREQ: 89, EMSGSIZE: 90,
  EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EPFNOSUPPORT: 96, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETDOWN: 100,
  ENETUNREACH: 101, ENETRESET: 102, ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ESHUTDOWN: 108, ETOOMANYREFS: 109, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTDOWN: 112, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115, ESTALE: 116, EUCLEAN: 117, ENOTNAM: 118, ENAVAIL: 119, EISNAM: 120,
  EREMOTEIO: 121, EDQUOT: 122, ENOMEDIUM: 123, EMEDIUMTYPE: 124, ECANCELED: 125, ENOKEY: 126, EKEYEXPIRED: 127, EKEYREVOKED: 128, EKEYREJECTED: 129, EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131, ERFKILL: 132, EHWPOISON: 133,
});

/** Other spellings of the same numbers; a case may use them, the model stores the canonical name. */
export const ERRNO_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  EWOULDBLOCK: 'EAGAIN',
  EDEADLOCK: 'EDEADLK',
  ENOTSUP: 'EOPNOTSUPP',
});

const BY_NUMBER = new Map<number, string>(Object.entries(ERRNO).map(([name, n]) => [n, name]));

/** The canonical name for a name or alias, or null when it is not a Linux errno name. */
export function canonicalErrno(name: string): string | null {
  if (Object.hasOwn(ERRNO, name)) return name;
  return Object.hasOwn(ERRNO_ALIASES, name) ? (ERRNO_ALIASES[name] ?? null) : null;
}

/** The number of an errno name (aliases accepted), or null. */
export function errnoNumber(name: string): number | null {
  const canon = canonicalErrno(name);
  return canon === null ? null : (ERRNO[canon] ?? null);
}

/** The canonical name of an errno number, or null. */
export function errnoName(n: number): string | null {
  return BY_NUMBER.get(n) ?? null;
}

/** `success` for 0, else `EINVAL (22)`, or `errno 999` for an unknown number: errno as messages show it. */
export function errnoText(n: number): string {
  if (n === 0) return 'success';
  const name = errnoName(n);
  return name ? `${name} (${n})` : `errno ${n}`;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** Up to `max` errno names close to a misspelt one, closest first. */
export function similarErrnos(name: string, max = 4): string[] {
  const wanted = name.toUpperCase();
  const all = [...Object.keys(ERRNO), ...Object.keys(ERRNO_ALIASES)];
  if (all.includes(wanted)) return [wanted];
  return all
    .map((n) => ({ n, d: editDistance(wanted, n) }))
    .filter(({ d }) => d <= 2)
    .sort((x, y) => x.d - y.d || (x.n < y.n ? -1 : 1))
    .slice(0, max)
    .map(({ n }) => n);
}
