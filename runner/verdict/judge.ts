// Decides one case's verdict from its compiled plan, the case and what the guest reported.
import { errnoNumber } from '../cases/errno.js';
import { checkRet, judgeSpecial } from '../cases/steps/judge.js';
import type { Case, Step } from '../cases/types.js';
import type { CompiledCase, PlanOp, StepOrigin } from '../plan/plan.js';
import { MapsLineError, windowLayout } from '../results/maps.js';
import { obsTexts } from '../results/observe.js';
import type { CaseRecord, StepRecord } from '../results/types.js';
import { errnoText } from './errno.js';
import { compareExpectation } from './layout.js';
import { judgeObservation, judgeSnapshotObservations } from './observe.js';
import { judgeReserve } from './reserve.js';
import { decodeWaitStatus, describeEnd, describeWaitStatus, taintLetters } from './status.js';
import type { Failure, Verdict, VerdictKind } from './types.js';

type OutcomeStep = Extract<Step, { outcome: unknown }>;

const hasOutcome = (s: Step): s is OutcomeStep => 'outcome' in s;

/** A failure of the harness or guest, not of the kernel behaviour under test. */
function harness(message: string, at?: { origin: StepOrigin; step: number }): Failure {
  return { kind: 'harness', message, path: at?.origin.path ?? null, proc: at?.origin.proc ?? null, step: at?.step ?? null };
}

/** A verdict for a case that did not run because a requirement is not met. */
export function skipVerdict(reason: string): Verdict {
  return { verdict: 'skip', failures: [], durationMs: null, skipReason: reason, notes: [] };
}

function checkOutcome(op: PlanOp, origin: StepOrigin & { step: OutcomeStep }, rec: StepRecord): Failure[] {
  const stepPath = `${origin.path}.${origin.step.kind}`;
  const where = { path: stepPath, proc: origin.proc, step: op.step };
  const want = origin.step.outcome.errno;
  if (want === null) {
    if (rec.errno !== 0) {
      return [{ kind: 'outcome', ...where, message: `${stepPath} (${origin.proc}): expected success, got ${errnoText(rec.errno)}`, expected: null, actual: errnoText(rec.errno) }];
    }
    if (op.op === 'map' && rec.ret !== 0) {
      return [{ kind: 'outcome', ...where, message: `${stepPath} (${origin.proc}): the mapping did not land at page ${op.at} (ret ${rec.ret})`, expected: 0, actual: rec.ret }];
    }
    return checkRet(origin.step.outcome.ret, rec, stepPath, origin, op.step);
  }
  const n = errnoNumber(want);
  if (n === null) return [harness(`${stepPath}.errno (${origin.proc}): unknown errno name ${want}`, { origin, step: op.step })];
  if (rec.errno === n) return [];
  const path = `${stepPath}.errno`;
  return [{ kind: 'outcome', path, proc: origin.proc, step: op.step, message: `${path} (${origin.proc}): expected ${errnoText(n)}, got ${errnoText(rec.errno)}`, expected: want, actual: errnoText(rec.errno) }];
}

function checkStep(op: PlanOp, origin: StepOrigin, rec: StepRecord, record: CaseRecord): Failure[] {
  const at = { origin, step: op.step };
  const label = `${origin.path} (${origin.proc}) plan step ${op.step} ${op.op}`;
  const { step } = origin;
  switch (op.op) {
    case 'snapshot': {
      if (rec.errno !== 0) return [harness(`${label}: reading maps failed: ${errnoText(rec.errno)}`, at)];
      if (step.kind !== 'expect') return [];
      if (!record.window) return [harness(`${label}: no W record: the window was never reserved`, at)];
      try {
        const actual = windowLayout(rec.maps, record.window);
        const where = { path: origin.path, proc: origin.proc, step: op.step };
        return [
          ...judgeReserve(rec.maps, record.window, where),
          ...compareExpectation(step.expect, actual, record.window, where),
          ...judgeSnapshotObservations(step.expect, rec.maps, actual, record.window, where),
        ];
      } catch (e) {
        if (e instanceof MapsLineError) return [harness(`${label}: ${e.message}`, at)];
        throw e;
      }
    }
    case 'special':
      return judgeSpecial(op, origin, rec, record.window);
    case 'smaps':
    case 'rollup':
    case 'query':
    case 'mapfile':
    case 'pagemap':
      return judgeObservation(op, origin, rec, record);
    case 'fork':
    case 'parent':
      return rec.errno === 0 ? [] : [harness(`${label} failed: ${errnoText(rec.errno)}`, at)];
    case 'wait': {
      if (rec.errno !== 0) return [harness(`${label} failed: ${errnoText(rec.errno)}`, at)];
      if (rec.waitStatus === undefined) return [harness(`${label}: no X record (child wait status)`, at)];
      const w = decodeWaitStatus(rec.waitStatus);
      return w.kind === 'exit' && w.code === 0 ? [] : [harness(`${label}: the child ${describeWaitStatus(rec.waitStatus)}`, at)];
    }
    case 'name':
      return [...failNthFired(op, origin, rec), ...(hasOutcome(step) ? checkOutcome(op, { ...origin, step }, rec) : [])];
    default:
      return hasOutcome(step) ? checkOutcome(op, { ...origin, step }, rec) : [];
  }
}

/** A `fail_nth: N` that injected nothing: the call reached fewer than N fault-injection points. */
function failNthFired(op: Extract<PlanOp, { op: 'name' }>, origin: StepOrigin, rec: StepRecord): Failure[] {
  if (op.failNth === 0) return [];
  const path = `${origin.path}.name.fail_nth`;
  const fired = obsTexts(rec.obs, 'F');
  if (fired.length !== 1 || (fired[0] !== '0' && fired[0] !== '1')) return [harness(`${path} (${origin.proc}): expected one F record (0 or 1), got ${JSON.stringify(fired)}`, { origin, step: op.step })];
  if (fired[0] === '1') return [];
  return [{ kind: 'outcome', path, proc: origin.proc, step: op.step, message: `${path} (${origin.proc}): no failure was injected: the prctl reached fewer than ${op.failNth} fault-injection points`, expected: op.failNth, actual: null }];
}

/** Faults of the run as a whole: the guest died, the probe failed or reported `B`. */
function caseFaults(compiled: CompiledCase, record: CaseRecord): { verdict: VerdictKind | null; failures: Failure[] } {
  const failures: Failure[] = [];
  let verdict: VerdictKind | null = null;
  const end = record.end;
  if (end === null) {
    verdict = 'crashed';
    failures.push(harness('the guest stopped during the case (no end record): panic, hang or reboot'));
  } else if (end.kind === 'hung') {
    verdict = 'crashed';
    failures.push(harness(`timed out after ${compiled.plan.timeoutMs} ms and could not be killed: the kernel hung it`));
  } else if (end.kind === 'timeout') {
    verdict = 'broken';
    const ran = record.durationUs === null ? '' : ` (stopped at ${Math.round(record.durationUs / 1000)} ms)`;
    failures.push(harness(`timed out after ${compiled.plan.timeoutMs} ms${ran}`));
  } else if (!(end.kind === 'exit' && end.code === 0)) {
    verdict = 'broken';
    failures.push(harness(`the probe ${describeEnd(end)}`));
  }
  for (const message of record.broken) {
    verdict ??= 'broken';
    failures.push(harness(`harness: ${message}`));
  }
  return { verdict, failures };
}

/** Missing S records: the first step of each process the guest did not report. */
function missingSteps(compiled: CompiledCase, record: CaseRecord, stopped: boolean): Failure[] {
  const firstByProc = new Map<string, { op: PlanOp; origin: StepOrigin; more: number }>();
  for (const op of compiled.plan.ops) {
    const origin = compiled.origins.get(op.step);
    if (!origin || record.steps.has(op.step)) continue;
    const seen = firstByProc.get(origin.proc);
    if (seen) seen.more++;
    else firstByProc.set(origin.proc, { op, origin, more: 0 });
  }
  return [...firstByProc.values()].map(({ op, origin, more }) => {
    const why = stopped ? 'the probe stopped before it' : 'the probe ended normally without reporting it';
    const rest = more ? ` (and ${more} later step${more === 1 ? '' : 's'})` : '';
    return harness(`${origin.path} (${origin.proc}) plan step ${op.step} ${op.op}: no result, ${why}${rest}`, { origin, step: op.step });
  });
}

/** The verdict of one case. Precedence: crashed, broken, fail, pass; failures list all findings. */
export function judgeCase(compiled: CompiledCase, c: Case, record: CaseRecord | undefined): Verdict {
  if (!record) {
    return { verdict: 'crashed', failures: [harness(`no result for case ${c.id}: the guest stopped before it began`)], durationMs: null, notes: [] };
  }
  const notes: string[] = [];
  if (record.taintAfter !== null && record.taintAfter !== record.taintBefore) {
    const letters = (t: number): string => (t ? `${t} (${taintLetters(t)})` : '0');
    notes.push(`kernel taint changed during the case: ${letters(record.taintBefore)} -> ${letters(record.taintAfter)}`);
  }
  const faults = caseFaults(compiled, record);
  let verdict = faults.verdict;
  const failures = [...faults.failures];
  const stepFailures: Failure[] = [];
  for (const op of compiled.plan.ops) {
    const origin = compiled.origins.get(op.step);
    if (!origin) {
      verdict ??= 'broken';
      failures.push(harness(`plan step ${op.step} (${op.op}) has no origin in the case: compiler bug`));
      continue;
    }
    const rec = record.steps.get(op.step);
    if (rec) stepFailures.push(...checkStep(op, origin, rec, record));
  }
  const missing = missingSteps(compiled, record, faults.verdict !== null);
  failures.push(...missing, ...stepFailures);
  if (missing.length) verdict ??= 'broken';
  if (stepFailures.some((f) => f.kind === 'harness')) verdict ??= 'broken';
  if (stepFailures.length) verdict ??= 'fail';
  return { verdict: verdict ?? 'pass', failures, durationMs: record.durationUs === null ? null : record.durationUs / 1000, notes };
}
