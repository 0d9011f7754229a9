// Which kernel the model speaks for: the series whose facts docs/kernel-behaviour.md holds
// (6.12 and 6.1, each measured in a guest). Any other release gets no expectations at all.

/** The kernel series the model has facts for. */
export const MODEL_SERIES = ['6.12', '6.1'] as const;

/** A kernel series the model knows, and the differences between them that it uses. */
export interface ModelKernel {
  series: (typeof MODEL_SERIES)[number];
  /** M2: mprotect to a non-writable prot drops VM_ACCOUNT of an unfaulted anonymous VMA (mm/mprotect.c mprotect_fixup(), 6.12 only). */
  dropsAccountOnReadOnly: boolean;
  /** S17, R10: shared anonymous memory can be named (`[anon_shmem:NAME]`, 6.2+); EBADF before. */
  namesSharedAnon: boolean;
}

/** The model's kernel for a `make kernelrelease` string, or null when the model has no facts for it. */
export function modelKernel(release: string): ModelKernel | null {
  const m = /^(\d+)\.(\d+)(?:[.-]|$)/.exec(release);
  if (!m) return null;
  const series = `${m[1]}.${m[2]}`;
  if (series === '6.12') return { series, dropsAccountOnReadOnly: true, namesSharedAnon: true };
  if (series === '6.1') return { series, dropsAccountOnReadOnly: false, namesSharedAnon: false };
  return null;
}
