// Decides one case's verdict from its compiled plan (each op with its check), the case and what
// the guest reported: dispatches each plan step's record on its check.
import { ERRNO, errnoText } from '../abi/errno.js';
import type { Case } from '../cases/types.js';
import type { CompiledCase, CompiledStep } from '../plan/compiled.js';
import { MapsLineError } from '../results/maps.js';
import type { CaseRecord, StepRecord } from '../results/types.js';
import type { StepWhere } from './failure.js';
import { judgeForkPoints, type ForkPoints } from './fork-points.js';
import { judgeObservation } from './observe.js';
import { judgeOutcome } from './outcome.js';
import { judgeSnapshot } from './snapshot.js';
import { judgeSpecial } from './special.js';
import { decodeWaitStatus, describeEnd, describeWaitStatus, taintLetters } from './status.js';
import type { Failure, Verdict, VerdictKind } from './types.js';

/** A failure of the harness or guest, not of the kernel behaviour under test; `at`: the plan step concerned. */
function harness(message: string, at?: CompiledStep): Failure {
  if (!at) return { kind: 'harness', message, path: null, proc: null, step: null };
  const { op, origin } = at;
  return { kind: 'harness', message, path: origin.path, pos: origin.step.pos, proc: origin.proc, step: op.step };
}

/** How harness messages name a plan step: `steps[2] (parent) plan step 3 snapshot`. */
const label = ({ op, origin }: CompiledStep): string => `${origin.path} (${origin.proc}) plan step ${op.step} ${op.op}`;

/** A verdict for a case that did not run because a requirement is not met. */
export function skipVerdict(reason: string): Verdict {
  return { verdict: 'skip', failures: [], durationMs: null, skipReason: reason, notes: [] };
}

/** The failures of one plan step's record, judged on the step's check; `points`: the fork_points counts saved so far. */
function checkStep(s: CompiledStep, rec: StepRecord, record: CaseRecord, points: ForkPoints): Failure[] {
  const { check, op, origin } = s;
  const where: StepWhere = { proc: origin.proc, step: op.step };
  const fault = (message: string): Failure[] => [harness(`${label(s)}: ${message}`, s)];
  const failed = (): Failure[] => [harness(`${label(s)} failed: ${errnoText(rec.errno)}`, s)];
  const window = record.window;
  switch (check.kind) {
    case 'outcome':
      return judgeOutcome(check, rec, where);
    case 'fork':
      return rec.errno === 0 ? [] : failed();
    case 'wait': {
      if (rec.errno !== 0) return failed();
      if (rec.waitStatus === undefined) return fault('no X record (child wait status)');
      const w = decodeWaitStatus(rec.waitStatus);
      return w.kind === 'exit' && w.code === 0 ? [] : fault(`the child ${describeWaitStatus(rec.waitStatus)}`);
    }
    case 'sync':
      if (rec.errno === 0) return [];
      return rec.errno === ERRNO['ECHILD'] ? fault(`the child ended before sync ${JSON.stringify(check.label)} (its exit status is the wait's)`) : failed();
    case 'special':
      return judgeSpecial(check, rec, window, record.firstLook, where);
    case 'snapshot': {
      if (rec.errno !== 0) return fault(`reading maps failed: ${errnoText(rec.errno)}`);
      if (!window) return fault('no W record: the window was never reserved');
      try {
        return judgeSnapshot(check.checks, rec.maps, window, where, check.reached);
      } catch (e) {
        if (e instanceof MapsLineError) return fault(e.message);
        throw e;
      }
    }
    case 'record':
      return [];
    case 'fork_points':
      return judgeForkPoints(check, rec, where, points);
    case 'smaps':
    case 'smaps_area':
    case 'rollup':
    case 'query':
    case 'map_files':
    case 'pagemap':
    case 'data':
      if (!window) return fault('no W record: the window was never reserved');
      return judgeObservation(check, rec, window, where, fault);
  }
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
  const firstByProc = new Map<string, { first: CompiledStep; more: number }>();
  for (const s of compiled.steps) {
    if (record.steps.has(s.op.step)) continue;
    const seen = firstByProc.get(s.origin.proc);
    if (seen) seen.more++;
    else firstByProc.set(s.origin.proc, { first: s, more: 0 });
  }
  return [...firstByProc.values()].map(({ first, more }) => {
    const why = stopped ? 'the probe stopped before it' : 'the probe ended normally without reporting it';
    const rest = more ? ` (and ${more} later step${more === 1 ? '' : 's'})` : '';
    return harness(`${label(first)}: no result, ${why}${rest}`, first);
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
  const points: ForkPoints = new Map();
  for (const s of compiled.steps) {
    const rec = record.steps.get(s.op.step);
    if (rec) stepFailures.push(...checkStep(s, rec, record, points));
  }
  const missing = missingSteps(compiled, record, faults.verdict !== null);
  failures.push(...missing, ...stepFailures);
  if (missing.length) verdict ??= 'broken';
  if (stepFailures.some((f) => f.kind === 'harness')) verdict ??= 'broken';
  if (stepFailures.length) verdict ??= 'fail';
  return { verdict: verdict ?? 'pass', failures, durationMs: record.durationUs === null ? null : record.durationUs / 1000, notes };
}
