// Verdicts and failures: what the host concludes about one case.
import type { ExpectedVma, SourcePos } from '../cases/types.js';
import type { ObservedVma } from '../results/types.js';

/** `splat`: the kernel reported a WARN/BUG/KASAN/lockdep/… (runner/health/) during the case, or its taint changed. */
export type VerdictKind = 'pass' | 'fail' | 'splat' | 'crashed' | 'broken' | 'skip';

export const VERDICT_KINDS: readonly VerdictKind[] = ['pass', 'fail', 'splat', 'crashed', 'broken', 'skip'];

/** A compared field of a layout VMA; `count` is the length of the whole list, `vma` a missing or extra VMA. */
export type LayoutField = 'count' | 'vma' | 'at' | 'pages' | 'perms' | 'name';

/** Both sides of one `expect.layout`/`expect.vmas` check, shared by its failures, for the diff. */
export interface LayoutContext {
  /** Key path of the list, e.g. `steps[2].expect.layout`. */
  path: string;
  proc: string;
  expected: ExpectedVma[] | null;
  actual: ObservedVma[];
}

export type FailureKind =
  /** errno or return value of a step differs from its expected outcome. */
  | 'outcome'
  /** an `expect.layout` entry or count differs. */
  | 'layout'
  /** an `expect.vmas` count differs. */
  | 'vmas'
  /** an `expect.special` entry (heap, stack, vdso, vvar VMAs) differs. */
  | 'special'
  /** a test of a custom C probe (`probe:`) reported not ok, or its TAP output was incomplete. */
  | 'test'
  /** an observation of an `expect` step differs (verdict/observe.ts): one kind per expect key. */
  | 'contains'
  | 'maps_line'
  | 'smaps'
  | 'smaps_fields'
  | 'rollup'
  | 'query'
  | 'map_files'
  | 'pagemap'
  /** an `expect.fork_points` count differs from the one saved under its `same_as` label (verdict/fork-points.ts). */
  | 'fork_points'
  /** an `expect.data` item: a page's first byte, or a fault, differs (verdict/data.ts). */
  | 'data'
  /** the window reserve's guard page (-1 or `pages`) is no longer `---p` with the reserve's name (verdict/reserve.ts). */
  | 'reserve'
  /** the harness, the probe or the guest did not do its part (makes the case broken or crashed). */
  | 'harness'
  /** the kernel reported a problem during the case (a splat, an oops, a hang): runner/health/. */
  | 'kernel';

export interface Failure {
  kind: FailureKind;
  /** One line a person can act on; names the path, the process, the VMA and the field. */
  message: string;
  /** Key path in the case file, down to the field: `steps[4].expect.layout[1].name`; null for whole-case faults. */
  path: string | null;
  /** Where the case file writes the expectation (or the step) the failure comes from; absent for whole-case faults. */
  pos?: SourcePos;
  /** `parent`, `child`, …; null for whole-case faults. */
  proc: string | null;
  /** Plan step number, when one step is concerned. */
  step: number | null;
  expected?: string | number | null;
  actual?: string | number | null;
  /** For layout failures: the VMA concerned (index on its side of the diff) and the field. */
  vma?: { side: 'expected' | 'actual'; index: number; at: number; address: string };
  field?: LayoutField;
  layout?: LayoutContext;
  /** Lines shown under the message, e.g. a failing probe test's diagnostic lines. */
  details?: string[];
}

export interface Verdict {
  verdict: VerdictKind;
  failures: Failure[];
  /** Wall time of the case in the guest, when it ended. */
  durationMs: number | null;
  skipReason?: string;
  /** Facts worth showing that do not change the verdict (e.g. the kernel taint changed). */
  notes: string[];
  /** What the kernel reported during the case (runner/health/), when anything. */
  kernel?: KernelHealth;
}

/** The kernel reports of one case: the title of the one that decided the verdict, and all of them. */
export interface KernelHealth {
  /** The title shown with `splat` / `crashed`; null when no report decided the verdict. */
  title: string | null;
  reports: { title: string; kind: string; /** The known-splats.yaml entry that accepts it, `file:line: reason`. */ known: string | null }[];
  /** The case's kernel log in the artifacts folder, when written. */
  log: string | null;
}
