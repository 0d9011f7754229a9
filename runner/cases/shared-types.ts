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

/**
 * The mmap flags of a `map` step, each a boolean key of the step and a word of the plan's
 * `<flags>` list (docs/protocol.md); the guest's parser is `flags_arg` in c-helpers/vmaprobe.c.
 * `fixed_noreplace` maps with MAP_FIXED_NOREPLACE instead of MAP_FIXED; `droppable` is the
 * mapping type MAP_DROPPABLE in place of MAP_PRIVATE (so `shared` must stay false).
 */
export const MAP_FLAGS = ['noreserve', 'growsdown', 'populate', 'fixed_noreplace', 'droppable'] as const;
export type MapFlag = (typeof MAP_FLAGS)[number];
