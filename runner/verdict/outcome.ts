// The outcome of a syscall step: its errno, or success with its `ret:`; a core `map` landing at
// its page; a `fail_nth:` that injected its fault.
import { errnoNumber, errnoText } from '../abi/errno.js';
import type { CheckOf } from '../plan/compiled.js';
import { obsTexts } from '../results/observe.js';
import type { StepRecord } from '../results/types.js';
import { failer, harnessFailure, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

/** The errnos an injected allocation failure gives (R5, R11): a step expecting one must have had the failure injected. */
const INJECTED_ERRNOS: readonly (string | null)[] = ['ENOMEM', 'EAGAIN'];

/**
 * A `fail_nth: N` that injected nothing: the call reached fewer than N fault-injection points. A
 * step that expects ENOMEM or EAGAIN must have had it injected (else the errno came from elsewhere,
 * a hole's ENOMEM); one that expects another errno (EINVAL of a name refused before it is copied)
 * or success (a call that needs fewer than N allocations, e.g. a merge instead of a split) need not.
 */
function failNthFired(check: CheckOf<'outcome'>, rec: StepRecord, where: StepWhere): Failure[] {
  const nth = check.failNth;
  if (!nth || !INJECTED_ERRNOS.includes(check.expect.errno)) return [];
  const fail = failer(where, nth.pos);
  const fired = obsTexts(rec.obs, 'F');
  if (fired.length !== 1 || (fired[0] !== '0' && fired[0] !== '1')) {
    return [harnessFailure(nth.path, nth.pos, where, `expected one F record (0 or 1), got ${JSON.stringify(fired)}`)];
  }
  if (fired[0] === '1') return [];
  return [fail('outcome', nth.path, `no failure was injected: the prctl reached fewer than ${nth.expect} fault-injection points`, nth.expect, null)];
}

/** The failures of a syscall step's record against its outcome check. */
export function judgeOutcome(check: CheckOf<'outcome'>, rec: StepRecord, where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const outcome = check.expect;
  const out = failNthFired(check, rec, where);
  const want = outcome.errno;
  if (want === null) {
    if (rec.errno !== 0) return [...out, fail('outcome', check.path, `expected success, got ${errnoText(rec.errno)}`, null, errnoText(rec.errno))];
    if (check.landsAt !== null && rec.ret !== 0) return [...out, fail('outcome', check.path, `the mapping did not land at page ${check.landsAt} (ret ${rec.ret})`, 0, rec.ret)];
    if (outcome.ret === undefined || rec.ret === outcome.ret) return out;
    return [...out, fail('outcome', `${check.path}.ret`, `expected ${outcome.ret}, got ${rec.ret}`, outcome.ret, rec.ret)];
  }
  const path = `${check.path}.errno`;
  const n = errnoNumber(want);
  if (n === null) return [...out, harnessFailure(path, check.pos, where, `unknown errno name ${want}`)];
  if (rec.errno === n) return out;
  return [...out, fail('outcome', path, `expected ${errnoText(n)}, got ${errnoText(rec.errno)}`, want, errnoText(rec.errno))];
}
