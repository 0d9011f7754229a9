// The verdict of a custom-probe case from its TAP / KTAP output and exit status:
// pass when every test is ok and the probe exits 0; skip on exit 4 (KSFT_SKIP) with the
// reason from the plan's or a test's SKIP directive; broken when there is no TAP at all
// (or the harness failed); crashed when the guest died; fail otherwise, naming the
// failing tests with their diagnostic lines.
import type { Case, SourcePos } from '../cases/types.js';
import type { CaseRecord } from '../results/types.js';
import { describeEnd, taintLetters } from '../verdict/status.js';
import type { Failure, Verdict } from '../verdict/types.js';
import { parseTap } from './parse.js';
import type { TapDocument, TapOutput, TapResult } from './types.js';

/** kselftest exit codes (tools/testing/selftests/kselftest.h). */
export const KSFT = { PASS: 0, FAIL: 1, XFAIL: 2, XPASS: 3, SKIP: 4 } as const;

/** Lines of output shown when the probe printed no TAP. */
const TAIL_LINES = 10;

/** The key path failures point at: the case's `probe` key. */
const PATH = 'probe';
/** assert()'s signal: a selftest's failed check, not a probe fault. */
const SIGABRT = 6;

/** A result counts as failed: not ok, unless skipped, TODO or an expected failure. */
export function resultFailed(r: TapResult): boolean {
  return !r.ok && r.directive !== 'SKIP' && r.directive !== 'TODO' && r.directive !== 'XFAIL';
}

const testName = (r: TapResult): string => r.description || `test ${r.number ?? '?'}`;

/** The result line as a person reads it: `not ok 2 names_page # TIMEOUT 30 s`. */
function resultLine(r: TapResult): string {
  const tail = r.directive ? ` # ${r.directive}${r.reason ? ` ${r.reason}` : ''}` : r.reason ? ` # ${r.reason}` : '';
  return `${r.ok ? 'ok' : 'not ok'}${r.number === null ? '' : ` ${r.number}`}${r.description ? ` ${r.description}` : ''}${tail}`;
}

/** Makes a `test` failure: at the case's `probe` key, and at its position when known. */
type TestFailure = (message: string, details?: string[]) => Failure;

/** Failing tests, deepest first: a failing parent is named only when none of its subtests failed. */
function failingTests(doc: TapDocument, trail: string[], out: Failure[], test: TestFailure): void {
  for (const r of doc.results) {
    const names = [...trail, testName(r)];
    const before = out.length;
    if (r.subtests) failingTests(r.subtests, names, out, test);
    if (out.length === before && resultFailed(r)) {
      const where = names.length > 1 ? ` (${names.join(' > ')})` : '';
      out.push(test(`${PATH}: ${resultLine(r)}${where}, output line ${r.line}`, r.diagnostics));
    }
  }
  const plan = doc.plan;
  if (plan && !plan.skip && plan.count !== doc.results.length) {
    const where = trail.length ? ` in ${trail.join(' > ')}` : '';
    out.push(test(`${PATH}: planned ${plan.count} test${plan.count === 1 ? '' : 's'}${where} (output line ${plan.line}), ${doc.results.length} reported`, doc.trailing));
  }
}

const testFailure =
  (pos: SourcePos | undefined): TestFailure =>
  (message, details = []) => ({ kind: 'test', message, path: PATH, ...(pos ? { pos } : {}), proc: null, step: null, ...(details.length ? { details } : {}) });

function harness(message: string, details: string[] = []): Failure {
  return { kind: 'harness', message, path: null, proc: null, step: null, ...(details.length ? { details } : {}) };
}

/** Why the probe skipped: the plan's `# SKIP`, else the last top-level SKIP directive with a reason. */
function skipReason(tap: TapOutput): string {
  const plan = tap.root.plan;
  if (plan?.skip && plan.reason) return plan.reason;
  const skipped = [...tap.root.results].reverse().find((r) => r.directive === 'SKIP' && r.reason);
  if (skipped) return skipped.reason;
  return 'the probe exited with KSFT_SKIP (4) without a SKIP reason';
}

/** Every failure the TAP output shows: failing tests, plan mismatches, unfinished blocks, `Bail out!`; `pos`: the `probe` key's. */
export function tapFailures(tap: TapOutput, pos?: SourcePos): Failure[] {
  const out: Failure[] = [];
  const test = testFailure(pos);
  failingTests(tap.root, [], out, test);
  for (const u of tap.unfinished) out.push(test(`${PATH}: the subtests starting at output line ${u.line} never got their result line`));
  if (tap.bailOut) out.push(test(`${PATH}: Bail out! ${tap.bailOut.reason}`.trimEnd() + ` (output line ${tap.bailOut.line})`, tap.root.trailing));
  return out;
}

/** The verdict of one `probe:` case from what the guest reported. */
export function judgeProbe(c: Pick<Case, 'id' | 'timeoutMs' | 'probe'>, record: CaseRecord | undefined): Verdict {
  if (!record) return { verdict: 'crashed', failures: [harness(`no result for case ${c.id}: the guest stopped before it began`)], durationMs: null, notes: [] };
  const notes: string[] = [];
  if (record.taintAfter !== null && record.taintAfter !== record.taintBefore) {
    const letters = (t: number): string => (t ? `${t} (${taintLetters(t)})` : '0');
    notes.push(`kernel taint changed during the case: ${letters(record.taintBefore)} -> ${letters(record.taintAfter)}`);
  }
  const durationMs = record.durationUs === null ? null : record.durationUs / 1000;
  const tap = parseTap(record.output);
  const pos = c.probe?.pos;
  const test = testFailure(pos);
  const failures = tapFailures(tap, pos);
  const tail = record.output.slice(-TAIL_LINES);
  const end = record.end;
  const broken = record.broken.map((m) => harness(`harness: ${m}`));
  if (end === null) {
    return { verdict: 'crashed', failures: [harness('the guest stopped during the case (no end record): panic, hang or reboot', tail), ...broken, ...failures], durationMs, notes };
  }
  if (end.kind === 'hung') {
    return { verdict: 'crashed', failures: [harness(`timed out after ${c.timeoutMs} ms and could not be killed: the kernel hung it`, tail), ...broken, ...failures], durationMs, notes };
  }
  if (end.kind === 'timeout') {
    return { verdict: 'broken', failures: [harness(`timed out after ${c.timeoutMs} ms`, tail), ...broken, ...failures], durationMs, notes };
  }
  if (broken.length) return { verdict: 'broken', failures: [...broken, ...failures], durationMs, notes };
  // A probe killed by a signal (SIGSEGV …) is a probe fault, whatever it printed before (docs/reliability.md);
  // SIGABRT is assert(), the failed check of a selftest: a failure of the kernel's behaviour.
  if (end.kind === 'signal' && end.signo !== SIGABRT) return { verdict: 'broken', failures: [harness(`the probe ${describeEnd(end)}`, tail), ...failures], durationMs, notes };
  if (end.kind === 'exit' && end.code === KSFT.SKIP) {
    return { verdict: 'skip', failures: [], durationMs, skipReason: skipReason(tap), notes: [...notes, ...failures.map((f) => `while skipping: ${f.message}`)] };
  }
  if (!tap.found) {
    const said = record.output.length ? `; its last output lines:` : ' and no output at all';
    return { verdict: 'broken', failures: [harness(`the probe printed no TAP (no version, plan or result line) and ${describeEnd(end)}${said}`, tail)], durationMs, notes };
  }
  if (end.kind === 'signal') failures.push(test(`${PATH}: the probe ${describeEnd(end)}`, failures.length ? [] : tail));
  else if (end.code !== KSFT.PASS) {
    const code = end.code === KSFT.FAIL ? ' (KSFT_FAIL)' : '';
    failures.push(test(`${PATH}: the probe ${describeEnd(end)}${code}${failures.length ? '' : ' although no test failed'}`));
  }
  for (const p of tap.problems) notes.push(`TAP output line ${p.line}: ${p.message}`);
  return { verdict: failures.length ? 'fail' : 'pass', failures, durationMs, notes };
}
