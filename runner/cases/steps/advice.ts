// madvise(2) advice names as cases write them → the x86_64 numbers
// (include/uapi/asm-generic/mman-common.h; x86 uses the generic values).

/** Advice name (MADV_ without the prefix, lower case) → number. */
export const ADVICE: Readonly<Record<string, number>> = Object.freeze({
  normal: 0,
  random: 1,
  sequential: 2,
  willneed: 3,
  dontneed: 4,
  free: 8,
  remove: 9,
  dontfork: 10,
  dofork: 11,
  mergeable: 12,
  unmergeable: 13,
  hugepage: 14,
  nohugepage: 15,
  dontdump: 16,
  dodump: 17,
  wipeonfork: 18,
  keeponfork: 19,
  cold: 20,
  pageout: 21,
  populate_read: 22,
  populate_write: 23,
  dontneed_locked: 24,
  collapse: 25,
});

export const ADVICE_NAMES: readonly string[] = Object.keys(ADVICE);

/** What process_madvise accepts in 6.12 (mm/madvise.c process_madvise_behavior_valid()). */
export const PROCESS_MADVISE_HINT = 'process_madvise takes cold, pageout, willneed, collapse';
