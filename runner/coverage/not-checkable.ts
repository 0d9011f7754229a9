// Keys of kernel-behaviour.md that no case in this suite can check, with the reason.
// A key here that a case does cite counts as covered (the case wins).

/** Key → why a case cannot check it on the kernels vmaspec boots. */
export const NOT_CHECKABLE: Readonly<Record<string, string>> = {
  P2: 'needs a second kernel built with ANON_VMA_NAME=n (kernel-config/ turns it on); there the cases that require it skip, not fail',
  P3: 'a Kconfig dependency and a fact about Debian packages, seen in mm/Kconfig, not in a running guest',
  R5: 'allocation failure inside the kernel (strndup_user, anon_vma_name_alloc); needs fault injection, which the default kernel does not build',
  F9: 'a statement about Documentation/filesystems/proc.rst, not about the kernel\'s behaviour',
};
