// The validated case model: what `cases/**/*.yaml` becomes after loading.
// Everything downstream (compile to a plan, assertions, reports) trusts it.

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
}

/** One expected VMA of a layout; an omitted field is not compared. */
export interface ExpectedVma {
  at: number;
  pages: number;
  perms?: string;
  name?: string;
  pos: SourcePos;
}

export interface Expectation {
  /** The exact list of VMAs overlapping the window (the reserve excluded), in address order. */
  layout?: ExpectedVma[];
  /** Number of VMAs overlapping the window (the reserve excluded). */
  vmas?: number;
}

export type Step =
  | { kind: 'map'; id: string | null; range: PageRange; prot: string; shared: boolean; flags: ('noreserve' | 'growsdown' | 'populate')[]; outcome: Outcome; pos: SourcePos }
  | { kind: 'unmap'; range: PageRange; outcome: Outcome; pos: SourcePos }
  | { kind: 'mprotect'; range: PageRange; prot: string; outcome: Outcome; pos: SourcePos }
  | {
      kind: 'name';
      /** Byte offset from page 0 of the window and byte length, at a 4096-byte page (x86_64). */
      start: number;
      len: number;
      name: Uint8Array | null;
      outcome: Outcome;
      pos: SourcePos;
      /**
       * How start/len were written, for other page sizes: start = range.at * pageSize + offset,
       * len = byteLen ?? range.pages * pageSize. Absent on steps built by hand (start/len are then final).
       */
      range?: PageRange;
      offset?: number;
      byteLen?: number | null;
    }
  | { kind: 'touch'; range: PageRange; access: 'r' | 'w'; outcome: Outcome; pos: SourcePos }
  | { kind: 'fork'; child: Step[]; parent: Step[]; pos: SourcePos }
  | { kind: 'expect'; expect: Expectation; pos: SourcePos };

export interface Requirements {
  /** Kconfig options (without `CONFIG_`) that must be `y` in the kernel under test. */
  kconfig: string[];
  /** A version range such as `>=5.17` or `>=6.2 <6.13`, or null. */
  kernel: string | null;
}

export interface Case {
  /** Stable id: the file path under `cases/` without `.yaml`, e.g. `merge/s1-name-middle-page`. */
  id: string;
  file: string;
  title: string;
  spec: string[];
  requires: Requirements;
  windowPages: number;
  timeoutMs: number;
  steps: Step[];
}
