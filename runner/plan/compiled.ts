// What the plan compiler (./compile.ts) hands the judge (runner/verdict/judge.ts): the plan, and
// for each of its ops where it came from in the case file and what its record is judged against,
// as typed checks that carry the expectation itself with its key path and position.
import type { AreaSmapsExpect, DataExpect, ForkPointsExpect, MapFileExpect, MapsLineExpect, PagemapExpect, QueryExpect, RecordExpect, RollupExpect, WindowSmapsExpect } from '../cases/expect-types.js';
import type { SpecialExpectation } from '../cases/steps/types.js';
import type { ExpectedSpan, ExpectedVma, Outcome, SourcePos, Step } from '../cases/types.js';
import type { CasePlan, PlanOp } from './plan.js';

/** Where a plan step came from: the case step it runs, its key path and the process that runs it. */
export interface StepOrigin {
  step: Step;
  /** Key path in the case file, e.g. `steps[3].fork.child[0]`. */
  path: string;
  /** `parent`, `child`, `child.child` … */
  proc: string;
}

/** Where an expectation is written: its key path (`steps[3].expect.query[1]`) and position in the case file. */
export interface Placed {
  path: string;
  pos: SourcePos;
}

/** An expectation of the case with where it is written. */
export type Expected<T> = Placed & { expect: T };

/**
 * One check of an expect step's maps snapshot. `vmas`, `layout` and `contains` are placed at the
 * expect step (the case model keeps no position for those keys; the VMAs listed have their own).
 */
export type SnapshotCheck =
  /** The window reserve's guard pages still look like the reserve (every snapshot; path: the `expect` step). */
  | (Placed & { kind: 'reserve' })
  | (Expected<number> & { kind: 'vmas' })
  | (Expected<ExpectedVma[]> & { kind: 'layout' })
  | (Expected<ExpectedVma[]> & { kind: 'contains' })
  /** A `hole: true` or `reserve: true` entry of `layout` or `contains` (`list`; path: the entry, `….layout[2]`). */
  | (Expected<ExpectedSpan> & { kind: 'span'; list: 'layout' | 'contains' })
  | (Expected<MapsLineExpect> & { kind: 'maps_line' });

/** What one plan step's record is judged against, by what is checked. */
export type StepCheck =
  /**
   * A syscall step's outcome (path: `steps[3].name`): its errno, or success and its `ret`.
   * `landsAt`: the window page a core `map` must land at; `failNth`: a `fail_nth` that must inject a fault.
   */
  | (Expected<Outcome> & { kind: 'outcome'; landsAt: number | null; failNth: Expected<number> | null })
  /**
   * An expect step's maps snapshot: its checks in the order their failures are listed. `reached`:
   * the guard pages (-1, the window size) an earlier step of the process named (a `name` range
   * over them): the reserve check skips them, and layouts see the VMA there.
   */
  | { kind: 'snapshot'; checks: SnapshotCheck[]; reached: number[] }
  | (Expected<SpecialExpectation> & { kind: 'special' })
  /** The smaps op of an expect step: its window `smaps` items and `smaps_fields`, judged on the same blocks. */
  | { kind: 'smaps'; items: Expected<WindowSmapsExpect>[]; fields: Expected<string[]> | null }
  /** A `smaps-area` op: one heap or stack `smaps` item, judged on the one block the op reports. */
  | (Expected<AreaSmapsExpect> & { kind: 'smaps_area' })
  | (Expected<RollupExpect> & { kind: 'rollup' })
  | (Expected<QueryExpect> & { kind: 'query' })
  | (Expected<MapFileExpect> & { kind: 'map_files' })
  | (Expected<PagemapExpect> & { kind: 'pagemap' })
  /** An observation op of a `record` item: its records are kept, not checked (vmaspec explore compares them). */
  /** A `fork-points` op: its count saved under a label, compared with one saved before, or both. */
  | (Expected<ForkPointsExpect> & { kind: 'fork_points' })
  | (Expected<RecordExpect> & { kind: 'record' })
  /** The `peek` op of an `expect.data` item: the first byte of each page of its range. */
  | (Expected<DataExpect> & { kind: 'data' })
  /** `fork` and `parent`: the harness's own steps, which must succeed. */
  | { kind: 'fork' }
  /** `wait`: it must succeed and the child must have exited with 0. */
  | { kind: 'wait' }
  /** A `sync` point (path: `….fork.child[2].sync`): it must succeed; the parent's fails with ECHILD when the child ended before it. */
  | (Placed & { kind: 'sync'; label: string });

/** The check of one kind: `CheckOf<'query'>`. */
export type CheckOf<K extends StepCheck['kind']> = Extract<StepCheck, { kind: K }>;

/** One op of the plan with its origin and its check. */
export interface CompiledStep {
  op: PlanOp;
  origin: StepOrigin;
  check: StepCheck;
}

/** A case compiled for the guest: the plan, and its ops in plan order with what the judge needs of each. */
export interface CompiledCase {
  plan: CasePlan;
  /** `steps[i].op` is `plan.ops[i]`. */
  steps: CompiledStep[];
}
