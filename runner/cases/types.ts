// The validated case model: what `cases/**/*.yaml` becomes after loading.
// Everything downstream (compile to a plan, assertions, reports) trusts it.

import type { ExtraStep, MapBacking, NamePointer, NameTarget, SpecialExpectation } from './steps/types.js';
import type { ObserveExpectation } from './expect-types.js';
import type { ExpectedVma, MapFlag, Outcome, PageRange, SourcePos } from './shared-types.js';

/** Part of the case model, defined in ./shared-types.ts. */
export type { ExpectedVma, Outcome, PageRange, SourcePos };

export interface Expectation {
  /** The exact list of VMAs overlapping the window (the reserve excluded), in address order. */
  layout?: ExpectedVma[];
  /** Number of VMAs overlapping the window (the reserve excluded). */
  vmas?: number;
  /** VMAs of special areas outside the window (heap, stack, vdso, vvar): steps/types.ts. */
  special?: SpecialExpectation[];
  /** smaps, smaps_rollup, raw maps lines, PROCMAP_QUERY, map_files, pagemap, contains: expect-types.ts. */
  observe?: ObserveExpectation;
}

/** Any step may carry `when`: it runs only on a kernel that meets it (decided when the plan is compiled). */
export type Step = StepBody & { when?: Requirements };

/** What a step does, by kind. */
export type StepBody =
  | { kind: 'map'; id: string | null; range: PageRange; prot: string; shared: boolean; flags: MapFlag[]; outcome: Outcome; pos: SourcePos; /** Absent: anonymous memory. */ backing?: MapBacking }
  | { kind: 'unmap'; range: PageRange; outcome: Outcome; pos: SourcePos }
  | { kind: 'mprotect'; range: PageRange; prot: string; outcome: Outcome; pos: SourcePos }
  | {
      kind: 'name';
      /** Byte offset from page 0 of the window and byte length, at a 4096-byte page (x86_64). */
      start: number;
      /** A bigint when it does not fit a JS number (R7: lengths near 2^64). */
      len: number | bigint;
      name: Uint8Array | null;
      outcome: Outcome;
      pos: SourcePos;
      /** A bad name pointer instead of the name buffer (R2); `name` then gives the bytes (null for `unmapped`). */
      pointer?: NamePointer;
      /** R5: the Nth fault-injection point (slab allocation) the prctl reaches fails (`/proc/thread-self/fail-nth`). */
      failNth?: number;
      /** Name a VMA outside the window, found by the probe (F5, S15, S16); start, len and range are then unused. */
      target?: NameTarget;
      /**
       * How start/len were written, for other page sizes: start = range.at * pageSize + offset,
       * len = byteLen ?? range.pages * pageSize. Absent on steps built by hand (start/len are then final).
       */
      range?: PageRange;
      offset?: number;
      byteLen?: number | bigint | null;
    }
  | { kind: 'touch'; range: PageRange; access: 'r' | 'w'; outcome: Outcome; pos: SourcePos }
  | { kind: 'fork'; child: Step[]; parent: Step[]; pos: SourcePos }
  | { kind: 'expect'; expect: Expectation; pos: SourcePos }
  | ExtraStep;

export interface Requirements {
  /** Kconfig terms (without `CONFIG_`): `NAME` must be y or m; `NAME=y`, `NAME=m` exactly that; `NAME=n` not set. */
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
  /** A custom C probe run instead of steps (`probe:`; `steps` is then empty). */
  probe?: ProbeSource;
}

/**
 * The C source of a `probe:` case: a file beside the case (`probe: x.c`), or a file of the
 * kernel tree under test (`probe: { kernel_source: tools/testing/selftests/… .c }`).
 */
export type ProbeSource =
  | {
      from: 'case';
      /** As written in the case file, relative to it. */
      path: string;
      /** Resolved, absolute. */
      abs: string;
      pos: SourcePos;
    }
  | {
      from: 'kernel';
      /** As written, relative to the top of the kernel source tree; resolved when the kernel is known. */
      path: string;
      pos: SourcePos;
    };
