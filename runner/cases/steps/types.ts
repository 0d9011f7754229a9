// The model of the steps added on top of the core grammar (map backings, mremap,
// madvise, process_madvise, mlock, munlock, mseal, brk, sysctl, named special VMAs, bad name pointers)
// and of the `expect.special` assertion. Validated by ./validate.ts.

import type { Outcome, PageRange, SourcePos } from '../shared-types.js';

/** What a `map` step maps, when not plain anonymous memory (`backing:`). */
export type MapBacking =
  /** A file created on the guest's tmpfs (/tmp), sized to the mapping; unlinked before or after mmap, or never. */
  | { kind: 'tmpfs'; unlink: 'before' | 'after' | null }
  /** memfd_create(2). */
  | { kind: 'memfd' }
  /** /dev/zero. */
  | { kind: 'zero' };

/** Where a `name` step's name pointer points, instead of a good NUL-terminated buffer (R2). */
export type NamePointer =
  /** An address with nothing mapped. */
  | 'unmapped'
  /** The name's bytes, NUL-terminated, in a PROT_NONE page. */
  | 'prot-none'
  /** The name's bytes, no NUL, at the very end of a page followed by an unmapped page. */
  | 'runs-off';

export const NAME_POINTERS: readonly NamePointer[] = ['unmapped', 'prot-none', 'runs-off'];

/** VMAs outside the window that a `name` step can target (F5, S15, S16); the probe finds them in /proc/self/maps. */
export type NameTarget = 'heap' | 'stack' | 'stack-bottom-page' | 'vdso' | 'vdso-page' | 'vvar' | 'vvar-page';

export const NAME_TARGETS: readonly NameTarget[] = ['heap', 'stack', 'stack-bottom-page', 'vdso', 'vdso-page', 'vvar', 'vvar-page'];

/**
 * Areas an `expect.special` entry inspects: every VMA overlapping the area's original extent;
 * `child` is the window of the child of the enclosing fork (its /proc/PID/maps, the reserve excluded).
 */
export type SpecialArea = 'heap' | 'stack' | 'vdso' | 'vvar' | 'child';

export const SPECIAL_AREAS: readonly SpecialArea[] = ['heap', 'stack', 'vdso', 'vvar', 'child'];

/** One `expect.special` entry: the VMAs of an area, in address order; an omitted field is not compared. */
export interface SpecialExpectation {
  target: SpecialArea;
  /** Number of VMAs overlapping the area. */
  vmas?: number;
  /** The maps name column of each VMA. */
  names?: string[];
  /** The perms column of each VMA (`rw-p`). */
  perms?: string[];
  /** The size of each VMA in pages. */
  pages?: number[];
  pos: SourcePos;
}

/** The step kinds that lock or seal a page range, each its own syscall (docs/cases.md, `mlock`). */
export const LOCK_CALLS = ['mlock', 'munlock', 'mseal'] as const;
export type LockCall = (typeof LOCK_CALLS)[number];

/** A `sysctl` value: a number, or the process's VMA count at that moment plus a delta (S18). */
export type SysctlValue = { kind: 'number'; value: bigint } | { kind: 'current_maps'; delta: number };

/** The steps of this module, members of the case model's Step union. */
export type ExtraStep =
  | {
      kind: 'mremap';
      /** The whole region before the call. */
      range: PageRange;
      newPages: number;
      /** Window page to move to (MREMAP_MAYMOVE|MREMAP_FIXED), or null: resize in place (flags 0). */
      to: number | null;
      outcome: Outcome;
      pos: SourcePos;
    }
  | { kind: 'madvise'; range: PageRange; advice: string; adviceNumber: number; outcome: Outcome; pos: SourcePos }
  | {
      kind: 'process_madvise';
      /** The range in the child of the enclosing fork (the same window address). */
      range: PageRange;
      advice: string;
      adviceNumber: number;
      outcome: Outcome;
      pos: SourcePos;
    }
  /** mlock (mlock2 with MLOCK_ONFAULT when `onfault`), munlock or mseal (Linux 6.10+) of a page range. */
  | { kind: LockCall; range: PageRange; onfault: boolean; outcome: Outcome; pos: SourcePos }
  | { kind: 'brk'; /** Pages to move the program break by (negative shrinks). */ pages: number; outcome: Outcome; pos: SourcePos }
  | {
      kind: 'sysctl';
      /** Dotted key as in sysctl(8), e.g. `vm.max_map_count`. */
      key: string;
      value: SysctlValue;
      outcome: Outcome;
      pos: SourcePos;
    };
