// `expect.fork_points`: the fault-injection points a fork of the process reaches (the `fork-points`
// op's `S <step> <points> 0`), saved under a label and compared with a count saved before in the
// same process (`since` a label, `added` points). The counts of a case's run live in one
// ForkPoints, judged in plan order.
import { errnoText } from '../abi/errno.js';
import type { CheckOf } from '../plan/compiled.js';
import type { StepRecord } from '../results/types.js';
import { failer, harnessFailure, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

/** The counts saved so far in one case's run, by process and label. */
export type ForkPoints = Map<string, number>;

const key = (proc: string, label: string): string => `${proc}\u0000${label}`;

/** The failures of one `fork-points` record; saves its count under the check's `save` label. */
export function judgeForkPoints(check: CheckOf<'fork_points'>, rec: StepRecord, where: StepWhere, saved: ForkPoints): Failure[] {
  const { save, since } = check.expect;
  if (rec.errno !== 0) return [harnessFailure(check.path, check.pos, where, `counting fork's fault-injection points failed: ${errnoText(rec.errno)}`)];
  if (save !== null) saved.set(key(where.proc, save), rec.ret);
  if (since === null) return [];
  const before = saved.get(key(where.proc, since.label));
  // The saving step failed (and was reported): nothing to compare with.
  if (before === undefined) return [];
  const added = rec.ret - before;
  if (added === since.added) return [];
  const fail = failer(where, check.pos);
  const was = since.added === 0 ? 'none' : String(since.added);
  return [fail('fork_points', `${check.path}.added`, `fork reaches ${rec.ret} fault-injection points: ${added} added since ${JSON.stringify(since.label)} (${before}), expected ${was}`, before + since.added, rec.ret)];
}
