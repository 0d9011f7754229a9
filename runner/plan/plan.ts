// The plan: what the guest probe executes for one case (docs/protocol.md).
// Host-side types plus the serializer; the C side parses the same text.

import { extraOpArgs, nameToken, type ExtraPlanOp } from '../cases/steps/plan.js';
import type { NamePointer } from '../cases/steps/types.js';
import { observeOpArgs, type ObserveOp } from './observe-ops.js';
import type { MapFlag } from '../cases/shared-types.js';

/** Three characters from `rwx` or `-`, as mprotect/mmap prot, e.g. `rw-`. */
export type ProtText = string;

export type PlanOp =
  | { op: 'map'; step: number; at: number; pages: number; prot: ProtText; shared: boolean; flags: MapFlag[] }
  | { op: 'unmap'; step: number; at: number; pages: number }
  | { op: 'mprotect'; step: number; at: number; pages: number; prot: ProtText }
  | { op: 'name'; step: number; start: number; len: number | bigint; name: Uint8Array | null; pointer?: NamePointer; /** 0: none */ failNth: number }
  | { op: 'touch'; step: number; at: number; pages: number; access: 'r' | 'w' }
  | { op: 'snapshot'; step: number }
  | { op: 'fork'; step: number }
  | { op: 'parent'; step: number }
  | { op: 'wait'; step: number }
  | ExtraPlanOp
  | ObserveOp;

export type { MapFlag } from '../cases/shared-types.js';

/** One case as the guest sees it. */
export interface CasePlan {
  index: number;
  windowPages: number;
  timeoutMs: number;
  ops: PlanOp[];
}

export const PLAN_MAGIC = 'vmaspec-plan 1';

function opArgs(op: PlanOp): string[] {
  switch (op.op) {
    case 'map':
      return [String(op.at), String(op.pages), op.prot, op.shared ? 'shared' : 'private', op.flags.length ? op.flags.join(',') : '-'];
    case 'unmap':
      return [String(op.at), String(op.pages)];
    case 'mprotect':
      return [String(op.at), String(op.pages), op.prot];
    case 'name':
      return [String(op.start), String(op.len), nameToken(op.name, op.pointer), String(op.failNth)];
    case 'touch':
      return [String(op.at), String(op.pages), op.access];
    case 'snapshot':
    case 'fork':
    case 'parent':
    case 'wait':
      return [];
    case 'smaps':
    case 'rollup':
    case 'query':
    case 'mapfile':
    case 'pagemap':
      return observeOpArgs(op);
    default:
      return extraOpArgs(op);
  }
}

/** The plan file's first two lines, without their newlines. */
export const planHeader = (plan: Pick<CasePlan, 'windowPages'>): string[] => [PLAN_MAGIC, `window ${plan.windowPages}`];

/** One op's line of the plan file, without its newline. */
export const opLine = (op: PlanOp): string => [String(op.step), op.op, ...opArgs(op)].join(' ');

/** The plan file text for one case. */
export function serializePlan(plan: CasePlan): string {
  return [...planHeader(plan), ...plan.ops.map(opLine)].join('\n') + '\n';
}

/** The manifest line of one case. */
export function manifestLine(plan: CasePlan): string {
  return `${plan.index} ${plan.timeoutMs} /vmaspec/cases/${plan.index}.plan`;
}
