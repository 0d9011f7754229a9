// Keys of kernel-behaviour.md that no case in this suite can check, with the reason.
// A key here that a case does cite counts as covered (the case wins).

/** Key → why a case cannot check it on the kernels vmaspec boots. */
// Empty since P2, P3 and F9 got tests of their own (test/integration/*, `// spec:` lines)
// and R5 a case with fault injection (cases/fault/).
export const NOT_CHECKABLE: Readonly<Record<string, string>> = {};
