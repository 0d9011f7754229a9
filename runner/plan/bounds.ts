// The guest's limits on a whole plan (runner/cases/limits.ts), checked when a case is
// loaded: the case is compiled with every `when` taken as met, the largest plan any kernel
// gets, and each limit it passes is reported at the step that passes it.
import { GUEST_LIMITS, guestTakes } from '../cases/limits.js';
import type { Case, Step } from '../cases/types.js';
import { compileCase } from './compile.js';
import type { StepOrigin } from './compiled.js';
import { opLine, planHeader } from './plan.js';

/** A limit of the guest that a case's plan passes: the step where it does, and why. */
export interface PlanLimitProblem {
  origin: StepOrigin;
  message: string;
}

/** The steps without their `when`, so that every step is compiled. */
function unguarded(steps: Step[]): Step[] {
  return steps.map((s): Step => {
    const { when: _when, ...body } = s;
    return body.kind === 'fork' ? { ...body, child: unguarded(body.child), parent: unguarded(body.parent) } : body;
  });
}

/** A process of the plan: the entries it would put back (inherited at fork) and the sysctl keys it saved itself. */
interface Proc {
  undo: number;
  ownKeys: Set<string>;
}

/** The guest limits the case's largest plan passes, each at its first step past the limit; none for a probe case. */
export function planLimitProblems(c: Case): PlanLimitProblem[] {
  if (c.probe) return [];
  const { plan, steps } = compileCase({ ...c, steps: unguarded(c.steps) }, 0);
  const problems: PlanLimitProblem[] = [];
  // Plan step numbers count from 0: step n is steps[n].
  const at = (step: number, message: string): void => {
    const s = steps[step];
    if (s) problems.push({ origin: s.origin, message });
  };
  const { ops, planBytes, queries, undo } = GUEST_LIMITS;

  const overOps = plan.ops[ops.value];
  if (overOps) at(overOps.step, `the case compiles to ${plan.ops.length} plan ops (a fork is 3, an expect 1 and 1 per observation); op ${ops.value + 1} is at this step; ${guestTakes(ops, ' ops')} per case`);

  let bytes = planHeader(plan).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  let bytesAt: number | null = null;
  let nQueries = 0;
  const procs: Proc[] = [{ undo: 0, ownKeys: new Set() }];
  let undoReported = false;
  for (const op of plan.ops) {
    bytes += Buffer.byteLength(opLine(op)) + 1;
    if (bytesAt === null && bytes >= planBytes.value) bytesAt = op.step;
    if (op.op === 'query' && ++nQueries === queries.value + 1) at(op.step, `more than ${queries.value} PROCMAP_QUERY items in this case from here on; ${guestTakes(queries)}`);
    const proc = procs[procs.length - 1] as Proc;
    if (op.op === 'fork') procs.push({ undo: proc.undo, ownKeys: new Set() });
    else if (op.op === 'parent') procs.pop();
    const adds = (op.op === 'mapfd' && op.backing.startsWith('tmpfs')) || (op.op === 'sysctl' && !proc.ownKeys.has(op.key));
    if (op.op === 'sysctl') proc.ownKeys.add(op.key);
    if (adds && ++proc.undo > undo.value && !undoReported) {
      undoReported = true;
      at(op.step, `a process of this case has ${proc.undo} sysctl values and tmpfs files to put back at this step; ${guestTakes(undo)} per process`);
    }
  }
  if (bytesAt !== null) at(bytesAt, `the case's plan file is ${bytes} bytes and reaches ${planBytes.value} at this step; the guest reads plans of less than ${planBytes.value} bytes (${planBytes.constant}, ${planBytes.file})`);
  return problems;
}
