// The plan: what the guest probe executes for one case (docs/protocol.md). Every plan op is
// defined once, in a table of its arguments (./args.ts): the core ops here, the observation
// ops in ./observe-ops.ts, the ops of the added steps in ../cases/steps/plan.ts. Their
// types, the serializer below and the guest's C header (runner/guest/plan-header.ts) come
// from the table.

import { STEP_OPS } from '../cases/steps/plan.js';
import { arg, argTokens, byteList, op, prot, signed, signed64, spread, unsigned, u64, word, wordList, type OpsOf } from './args.js';
import { mapFlags, namePointer, sharing, touchAccess } from './case-args.js';
import { OBSERVE_OPS } from './observe-ops.js';

/** The core ops: mappings, names, touches, snapshots and fork blocks. */
const CORE_OPS = {
  map: op([arg('at', signed), arg('pages', unsigned), arg('prot', prot), arg('shared', sharing), arg('flags', mapFlags)], { check: true }),
  unmap: op([arg('at', signed), arg('pages', unsigned)]),
  mprotect: op([arg('at', signed), arg('pages', unsigned), arg('prot', prot)]),
  /** `failNth`: the Nth fault-injection point the prctl reaches fails (R5); 0: none. `sub`: arg2 of prctl(PR_SET_VMA) (R1). */
  name: op([arg('start', signed64), arg('len', u64), spread('name', namePointer), arg('failNth', unsigned), arg('sub', u64)]),
  /** `value`: the bytes a write leaves, page i getting value[i mod length]; unused by a read. */
  touch: op([arg('at', signed), arg('pages', unsigned), arg('access', touchAccess), arg('value', byteList)]),
  snapshot: op([]),
  fork: op([]),
  parent: op([]),
  wait: op([]),
  /** A sync point of a fork block, run by the process of its side: the turn goes to the other process and comes back. */
  sync: op([arg('side', word(wordList('sync_side', ['child', 'parent'] as const)))]),
};

/** Every plan op, by name. */
export const PLAN_OPS = { ...CORE_OPS, ...OBSERVE_OPS, ...STEP_OPS };
export type PlanOp = OpsOf<typeof PLAN_OPS>;

/** One case as the guest sees it. */
export interface CasePlan {
  index: number;
  windowPages: number;
  timeoutMs: number;
  ops: PlanOp[];
}

export const PLAN_MAGIC = 'vmaspec-plan 1';

/** The plan file's first two lines, without their newlines. */
export const planHeader = (plan: Pick<CasePlan, 'windowPages'>): string[] => [PLAN_MAGIC, `window ${plan.windowPages}`];

/** One op's line of the plan file, without its newline. */
export const opLine = (op: PlanOp): string => [String(op.step), op.op, ...argTokens(PLAN_OPS[op.op], op)].join(' ');

/** The plan file text for one case. */
export function serializePlan(plan: CasePlan): string {
  return [...planHeader(plan), ...plan.ops.map(opLine)].join('\n') + '\n';
}

/** The manifest line of one case. */
export function manifestLine(plan: CasePlan): string {
  return `${plan.index} ${plan.timeoutMs} /vmaspec/cases/${plan.index}.plan`;
}
