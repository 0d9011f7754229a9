// Compile: a validated Case → the flat plan the guest probe runs (docs/protocol.md), each op
// with the case step that produced it and what its record is judged against (./compiled.ts).

import type { Case, Step } from '../cases/types.js';
import { GUEST_LIMITS } from '../cases/limits.js';
import { narrow } from '../cases/shapes.js';
import { extraOps } from '../cases/steps/plan.js';
import { TOUCH_DEFAULT } from '../cases/steps.js';
import { kernelSlowdown } from '../kernel/slowdown.js';
import type { CompiledCase, CompiledStep, StepCheck, StepOrigin } from './compiled.js';
import { expectSteps } from './observe-compile.js';
import type { CasePlan, PlanOp } from './plan.js';
import { stepRuns, type KernelFacts } from './when.js';

/** x86_64 base pages. */
export const DEFAULT_PAGE_SIZE = 4096;

/** Byte start (from page 0, one page above the reservation's address) and length of a name step at the given page size. */
function nameBytes(s: Extract<Step, { kind: 'name' }>, pageSize: number): { start: number | bigint; len: number | bigint } {
  if (s.address !== undefined) return { start: narrow(BigInt.asIntN(64, s.address - BigInt(GUEST_LIMITS.windowAddress.value + pageSize))), len: s.len };
  if (!s.range) return { start: s.start, len: s.len };
  return {
    start: s.range.at * pageSize + (s.offset ?? 0),
    len: s.byteLen ?? s.range.pages * pageSize,
  };
}

/**
 * The guard pages (-1 and `window`) a name step's byte range overlaps, whatever its outcome (R20:
 * a range that fails with ENOMEM has renamed what it passed); none for a step outside the window's
 * byte offsets (a `target`).
 */
function guardsNamed(s: Extract<Step, { kind: 'name' }>, window: number, pageSize: number): number[] {
  if (s.target !== undefined) return [];
  const { start, len } = nameBytes(s, pageSize);
  const [from, to] = [BigInt(start), BigInt(start) + BigInt(len)];
  return [-1, window].filter((g) => from < BigInt((g + 1) * pageSize) && to > BigInt(g * pageSize));
}

/** A step that makes a syscall: every kind but `expect`, `fork` and `sync`. */
type OutcomeStep = Exclude<Step, { kind: 'expect' | 'fork' | 'sync' }>;

/** The outcome check of a syscall step at key path `path`; `landsAt`: the page a core `map` must land at. */
function outcomeCheck(s: OutcomeStep, path: string, landsAt: number | null = null): StepCheck {
  const at = `${path}.${s.kind}`;
  const failNth = s.kind === 'name' && s.failNth ? { path: `${at}.fail_nth`, pos: s.pos, expect: s.failNth } : null;
  return { kind: 'outcome', path: at, pos: s.pos, expect: s.outcome, landsAt, failNth };
}

/** The op of a syscall step of the core grammar (one that `extraOps` leaves to it), with its check. */
function coreOp(s: OutcomeStep, path: string, pageSize: number): { op: (step: number) => PlanOp; check: StepCheck } | null {
  switch (s.kind) {
    case 'map':
      return { op: (step) => ({ op: 'map', step, at: s.range.at, pages: s.range.pages, prot: s.prot, shared: s.shared, flags: [...s.flags] }), check: outcomeCheck(s, path, s.range.at) };
    case 'unmap':
      return { op: (step) => ({ op: 'unmap', step, at: s.range.at, pages: s.range.pages }), check: outcomeCheck(s, path) };
    case 'mprotect':
      return { op: (step) => ({ op: 'mprotect', step, at: s.range.at, pages: s.range.pages, prot: s.prot }), check: outcomeCheck(s, path) };
    case 'name': {
      const { start, len } = nameBytes(s, pageSize);
      return { op: (step) => ({ op: 'name', step, start, len, name: s.name, ...(s.pointer ? { pointer: s.pointer } : {}), failNth: s.failNth ?? 0, sub: s.subOption ?? 0 }), check: outcomeCheck(s, path) };
    }
    case 'touch': {
      const range = s.range;
      if ('area' in range) return null; // touch-target: extraOps
      return { op: (step) => ({ op: 'touch', step, at: range.at, pages: range.pages, access: s.access, value: s.value ?? [TOUCH_DEFAULT] }), check: outcomeCheck(s, path) };
    }
    default:
      return null;
  }
}

/**
 * Flattens the case's steps into plan ops numbered from 0, each with its check. Origins record the
 * key path (`steps[3].fork.child[0]`) and the process running the op: `parent`,
 * `child`, `child.child` … A fork step becomes `fork` (run by the forking
 * process), the child's ops, `parent` (reported by the child: path
 * `….fork.parent`), the parent's ops, and `wait` (run by the forking process).
 * A `sync` step becomes a `sync` op of its side, in place: the guest hands the
 * turn between the two processes there (docs/protocol.md).
 * A step whose `when` the kernel does not meet is left out (its path index is kept);
 * without `kernel`, every guarded step is left out. The plan's timeout is the case's,
 * stretched by the kernel's slowdown factor (runner/kernel/slowdown.ts).
 */
export function compileCase(c: Case, index: number, pageSize = DEFAULT_PAGE_SIZE, kernel: KernelFacts | null = null, fullViews = false): CompiledCase {
  const steps: CompiledStep[] = [];

  const emit = (op: (step: number) => PlanOp, origin: StepOrigin, check: StepCheck): void => {
    steps.push({ op: op(steps.length), origin, check });
  };

  // The guard pages each process has named so far (a child starts with its parent's).
  const walk = (list: Step[], base: string, proc: string, reached: Set<number>): void => {
    list.forEach((s, i) => {
      if (!stepRuns(s, kernel)) return;
      const path = `${base}[${i}]`;
      const origin: StepOrigin = { step: s, path, proc };
      if (s.kind === 'name') guardsNamed(s, c.windowPages, pageSize).forEach((g) => reached.add(g));
      switch (s.kind) {
        case 'expect':
          for (const e of expectSteps(s.expect, path, s.pos, pageSize, [...reached].sort((a, b) => a - b), fullViews)) emit(e.op, origin, e.check);
          break;
        case 'fork': {
          const childProc = proc === 'parent' ? 'child' : `${proc}.child`;
          emit((step) => ({ op: 'fork', step }), origin, { kind: 'fork' });
          walk(s.child, `${path}.fork.child`, childProc, new Set(reached));
          emit((step) => ({ op: 'parent', step }), { step: s, path: `${path}.fork.parent`, proc: childProc }, { kind: 'fork' });
          walk(s.parent, `${path}.fork.parent`, proc, reached);
          emit((step) => ({ op: 'wait', step }), origin, { kind: 'wait' });
          break;
        }
        case 'sync':
          emit((step) => ({ op: 'sync', step, side: s.side }), origin, { kind: 'sync', label: s.label, path: `${path}.sync`, pos: s.pos });
          break;
        default: {
          const extra = extraOps(s);
          if (extra) {
            const check = outcomeCheck(s, path);
            for (const make of extra) emit(make, origin, check);
          } else {
            const core = coreOp(s, path, pageSize);
            if (core) emit(core.op, origin, core.check);
          }
        }
      }
    });
  };

  walk(c.steps, 'steps', 'parent', new Set());
  // The case's timeout is for the default kernel; a kernel with run-time checkers gets its factor.
  const timeoutMs = kernel ? Math.round(c.timeoutMs * kernelSlowdown(kernel.config)) : c.timeoutMs;
  const plan: CasePlan = { index, windowPages: c.windowPages, timeoutMs, ops: steps.map((s) => s.op) };
  return { plan, steps };
}
