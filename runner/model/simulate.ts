// Runs a case's steps through the model, in the process that runs the top-level steps: after each
// top-level step, the state (as an `expect` value) and the step's predicted outcome. A fork's
// parent branch runs in the same process; its child is followed only to its first layout (what fork
// copied) and has to leave the parent alone (its sysctl writes would not). From the first step the model cannot follow on
// (Unknown), it predicts nothing more. Across a name step that changes names only, it also claims
// fork's fault-injection points unchanged (K4, claimForkPoints).
import type { Step } from '../cases/types.js';
import { FAIL_NTH_KCONFIG } from '../cases/steps.js';
import { backingBase } from '../cases/steps/plan.js';
import type { ModelClaim } from '../explore/oracle.js';
import { stepRuns, type KernelFacts } from '../plan/when.js';
import { touch } from './fault.js';
import type { ModelKernel } from './kernel.js';
import { madvise } from './madvise.js';
import { mmap, munmap } from './mmap.js';
import { mremap } from './mremap.js';
import { nameRange } from './name.js';
import { mprotect } from './protect.js';
import { expectOf, layoutOf } from './render.js';
import { newSpace, type Space } from './space.js';
import { mustKnow, Unknown } from './unknown.js';

/** What the model says of one top-level step: its claim (runner/explore/oracle.ts). */
export type StepPrediction = ModelClaim;

/** The model's run of a case: a prediction per top-level step index it could follow, and why it stopped. */
export interface Simulation {
  steps: Map<number, StepPrediction>;
  /** Why the model stopped predicting, with the step index; null when it followed every step. */
  stopped: { index: number; reason: string } | null;
}

/** The kernel as the caller knows it: its release, and its .config when known; the case's window (pages) when known. */
export interface ModelTarget {
  release: string;
  config?: KernelFacts['config'];
  window?: number;
}

/** A step whose `when` the kernel does not meet does not run; a Kconfig condition needs the .config. */
function runs(step: Step, target: ModelTarget): boolean {
  if (!step.when) return true;
  mustKnow(step.when.kconfig.length === 0 || target.config !== undefined, `a step guarded by Kconfig ${step.when.kconfig.join(', ')} and no .config`);
  return stepRuns(step, { release: target.release, config: target.config ?? new Map() });
}

/** Steps of a fork's child: they change nothing the parent sees, unless they are global. */
function checkChild(steps: readonly Step[]): void {
  for (const s of steps) {
    mustKnow(s.kind !== 'sysctl', 'a sysctl in a child (global)');
    if (s.kind === 'fork') checkChild([...s.child, ...s.parent]);
  }
}

/**
 * The child's address space as fork leaves it (kernel/fork.c dup_mmap()): every VMA of the parent
 * but those with VM_DONTCOPY, each with its name (K1), no merging. Only its layout is claimed: its
 * pages are shared with the parent while both live (Pss, Shared_*).
 */
function childSpace(s: Space): Space {
  return { ...s, vmas: s.vmas.filter((v) => !v.flags.has('dc')).map((v) => ({ ...v })), pages: [...s.pages] };
}

/** Applies one step to `s`; the predicted errno (undefined: the step makes no call the model predicts). `claim.child`: a fork's child's first layout. */
function apply(s: Space, k: ModelKernel, step: Step, target: ModelTarget, claim: Partial<StepPrediction> = {}): string | null | undefined {
  if (!runs(step, target)) return undefined;
  switch (step.kind) {
    case 'map':
      return mmap(s, { ...step.range, prot: step.prot, shared: step.shared, flags: step.flags, backing: step.backing, base: backingBase(step.id, step.range.at) });
    case 'unmap':
      return munmap(s, step.range.at, step.range.pages);
    case 'mprotect':
      return mprotect(s, k, step.range.at, step.range.pages, step.prot);
    case 'name':
      mustKnow(step.address === undefined && step.subOption === undefined, 'a name step outside the window or with a sub-option');
      return nameRange(s, k, step);
    case 'touch': {
      const range = step.range;
      if ('area' in range) throw new Unknown('a touch of the heap or the stack');
      return touch(s, range.at, range.pages, step.access);
    }
    case 'madvise':
      return madvise(s, step.range.at, step.range.pages, step.advice, step.adviceNumber, target.config?.has('SWAP'));
    case 'mremap':
      // Resize in place (0) or MREMAP_MAYMOVE|MREMAP_FIXED (3); DONTUNMAP and raw flags are not modelled.
      mustKnow(step.flags === (step.to === null ? 0 : 3), 'an mremap with DONTUNMAP or raw flags');
      return mremap(s, { ...step.range, newPages: step.newPages, to: step.to });
    case 'fork': {
      claim.child = layoutOf(childSpace(s));
      // With sync points the child acts between the parent's steps (its writes change the parent's Pss).
      mustKnow(![...step.child, ...step.parent].some((x) => x.kind === 'sync'), 'sync points in a fork');
      checkChild(step.child);
      for (const p of step.parent) {
        const errno = apply(s, k, p, target);
        // A parent step the case expects to fail otherwise than predicted: the run is not the model's.
        if (errno !== undefined && 'outcome' in p) mustKnow(errno === p.outcome.errno, 'a fork parent step whose outcome the case sets otherwise');
      }
      return undefined;
    }
    case 'expect':
    case 'process_madvise':
    case 'brk':
      // No change to the window (the heap is far from it; process_madvise acts on the child).
      return undefined;
    case 'sync':
      // Only directly in a fork's branches, which the model stops at above.
      return undefined;
    case 'mlock':
    case 'munlock':
    case 'mseal':
    case 'sysctl':
    case 'memory_merge':
      throw new Unknown(`a ${step.kind} step`);
    default: {
      // A step kind the model has not been taught: a new one stops it until it is.
      const unknown: never = step;
      throw new Unknown(`a ${(unknown as Step).kind} step`);
    }
  }
}

/** What fork copies of the window besides names: every VMA's bounds, flags, anon_vma and file, and which pages are resident. */
const forkCopies = (s: Space): string => JSON.stringify([s.vmas.map((v) => ({ ...v, name: null, flags: [...v.flags] })), s.pages]);

/** Whether fork_points can be counted on the kernel: fault injection (an unknown .config: as the steps' own fail_nth, assumed). */
const countsForkPoints = (target: ModelTarget): boolean => target.config === undefined || FAIL_NTH_KCONFIG.every((o) => target.config?.has(o));

/**
 * K4: a name is shared by reference on fork, so a `name` step that leaves everything else fork
 * copies as it was (no split, no merge: whole VMAs renamed, or nothing done) leaves the
 * fault-injection points fork reaches as they were after the step before it: that step's claim
 * saves the count, this one's compares (`added: 0`).
 */
function claimForkPoints(out: Map<number, StepPrediction>, steps: readonly Step[], index: number, claim: StepPrediction): void {
  const before = out.get(index - 1);
  if (!before || steps[index - 1]?.kind === 'expect') return;
  const label = `s${index - 1}`;
  before.expect.expect['fork_points'] = { ...(before.expect.expect['fork_points'] as object | undefined), save: label };
  claim.expect.expect['fork_points'] = { since: label, added: 0 };
}

/**
 * The model's predictions for a case's top-level steps on a kernel. The state after a step follows
 * the model's own prediction of its outcome, never the case's.
 */
export function simulate(steps: readonly Step[], k: ModelKernel, target: ModelTarget, window: number): Simulation {
  const s = newSpace(window);
  const out = new Map<number, StepPrediction>();
  const forkPoints = countsForkPoints(target);
  for (const [index, step] of steps.entries()) {
    try {
      const claim: Partial<StepPrediction> = {};
      const copied = forkPoints && step.kind === 'name' ? forkCopies(s) : null;
      const errno = apply(s, k, step, target, claim);
      const made: StepPrediction = { ...(errno === undefined ? {} : { errno }), expect: expectOf(s), ...(claim.child ? { child: claim.child } : {}) };
      if (copied !== null && forkCopies(s) === copied) claimForkPoints(out, steps, index, made);
      out.set(index, made);
    } catch (e) {
      if (!(e instanceof Unknown)) throw e;
      return { steps: out, stopped: { index, reason: e.reason } };
    }
  }
  return { steps: out, stopped: null };
}
