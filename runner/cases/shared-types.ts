// The smallest pieces of the case model, shared by the core steps (./types.ts), the added
// steps (./steps/types.ts) and the observations (./expect-types.ts), which import them from
// here so that none of those files imports another in a circle.

/** Where something came from in a case file (1-based line and column). */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** A page range inside the case's window, already resolved from region references. */
export interface PageRange {
  at: number;
  pages: number;
}

/** Expected outcome of a step that makes a syscall: success, or failure with this errno name. */
export interface Outcome {
  errno: string | null;
  /** Expected return value on success (`ret:`), where the step allows it. */
  ret?: number;
}

/** One expected VMA of a layout; an omitted field is not compared. */
export interface ExpectedVma {
  at: number;
  pages: number;
  perms?: string;
  name?: string;
  pos: SourcePos;
}
