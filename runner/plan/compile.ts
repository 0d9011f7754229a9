// Compile: a validated Case → the flat plan the guest probe runs (docs/protocol.md),
// with a map from each plan step number back to the case step that produced it.

import type { Case, Step } from '../cases/types.js';
import { extraOps, specialOps } from '../cases/steps/plan.js';
import { kernelSlowdown } from '../kernel/slowdown.js';
import { observeOps } from './observe-compile.js';
import type { CasePlan, CompiledCase, PlanOp, StepOrigin } from './plan.js';
import { stepRuns, type KernelFacts } from './when.js';

/** x86_64 base pages. */
export const DEFAULT_PAGE_SIZE = 4096;

/** Byte start and length of a name step at the given page size. */
function nameBytes(s: Extract<Step, { kind: 'name' }>, pageSize: number): { start: number; len: number | bigint } {
  if (!s.range) return { start: s.start, len: s.len };
  return {
    start: s.range.at * pageSize + (s.offset ?? 0),
    len: s.byteLen ?? s.range.pages * pageSize,
  };
}

/**
 * Flattens the case's steps into plan ops numbered from 0. Origins record the
 * key path (`steps[3].fork.child[0]`) and the process running the op: `parent`,
 * `child`, `child.child` … A fork step becomes `fork` (run by the forking
 * process), the child's ops, `parent` (reported by the child: path
 * `….fork.parent`), the parent's ops, and `wait` (run by the forking process).
 * A step whose `when` the kernel does not meet is left out (its path index is kept);
 * without `kernel`, every guarded step is left out. The plan's timeout is the case's,
 * stretched by the kernel's slowdown factor (runner/kernel/slowdown.ts).
 */
export function compileCase(c: Case, index: number, pageSize = DEFAULT_PAGE_SIZE, kernel: KernelFacts | null = null): CompiledCase {
  const ops: PlanOp[] = [];
  const origins = new Map<number, StepOrigin>();
  let next = 0;

  const emit = (make: (step: number) => PlanOp, origin: StepOrigin): void => {
    const step = next++;
    ops.push(make(step));
    origins.set(step, origin);
  };

  const walk = (steps: Step[], base: string, proc: string): void => {
    steps.forEach((s, i) => {
      if (!stepRuns(s, kernel)) return;
      const path = `${base}[${i}]`;
      const origin: StepOrigin = { step: s, path, proc };
      const extra = extraOps(s);
      if (extra) {
        for (const make of extra) emit(make, origin);
        return;
      }
      switch (s.kind) {
        case 'map':
          emit((step) => ({ op: 'map', step, at: s.range.at, pages: s.range.pages, prot: s.prot, shared: s.shared, flags: [...s.flags] }), origin);
          break;
        case 'unmap':
          emit((step) => ({ op: 'unmap', step, at: s.range.at, pages: s.range.pages }), origin);
          break;
        case 'mprotect':
          emit((step) => ({ op: 'mprotect', step, at: s.range.at, pages: s.range.pages, prot: s.prot }), origin);
          break;
        case 'name': {
          const { start, len } = nameBytes(s, pageSize);
          emit((step) => ({ op: 'name', step, start, len, name: s.name, ...(s.pointer ? { pointer: s.pointer } : {}), failNth: s.failNth ?? 0 }), origin);
          break;
        }
        case 'touch':
          emit((step) => ({ op: 'touch', step, at: s.range.at, pages: s.range.pages, access: s.access }), origin);
          break;
        case 'expect':
          emit((step) => ({ op: 'snapshot', step }), origin);
          for (const make of specialOps(s)) emit(make, origin);
          for (const make of observeOps(s.expect, pageSize)) emit(make, origin);
          break;
        case 'fork': {
          const childProc = proc === 'parent' ? 'child' : `${proc}.child`;
          emit((step) => ({ op: 'fork', step }), origin);
          walk(s.child, `${path}.fork.child`, childProc);
          emit((step) => ({ op: 'parent', step }), { step: s, path: `${path}.fork.parent`, proc: childProc });
          walk(s.parent, `${path}.fork.parent`, proc);
          emit((step) => ({ op: 'wait', step }), origin);
          break;
        }
      }
    });
  };

  walk(c.steps, 'steps', 'parent');
  // The case's timeout is for the default kernel; a kernel with run-time checkers gets its factor.
  const timeoutMs = kernel ? Math.round(c.timeoutMs * kernelSlowdown(kernel.config)) : c.timeoutMs;
  const plan: CasePlan = { index, windowPages: c.windowPages, timeoutMs, ops };
  return { plan, origins };
}
