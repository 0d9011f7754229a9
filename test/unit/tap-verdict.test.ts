// Verdicts of custom-probe cases from real guest streams (test/fixtures/streams/probes-*.txt,
// captured from cases/probes/ and test/fixtures/probes/ on the default 6.12 kernel).
import { describe, expect, it } from 'vitest';
import { formatFailures } from '../../runner/report/terminal.js';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';
import type { CaseRecord } from '../../runner/results/types.js';
import { judgeProbe } from '../../runner/tap/verdict.js';
import { fixture } from '../fixtures/plans.js';

const c = { id: 'probes/x', timeoutMs: 10_000 };

function record(stream: string, index: number): CaseRecord {
  const r = casesByIndex(parseResultStream(fixture(`streams/${stream}`))).get(index);
  if (!r) throw new Error(`no case ${index} in ${stream}`);
  return r;
}

const messages = (v: ReturnType<typeof judgeProbe>): string[] => v.failures.map((f) => f.message);

describe('judgeProbe', () => {
  it('pass: every test ok and exit 0', () => {
    const v = judgeProbe(c, record('probes-examples.txt', 0));
    expect(v).toMatchObject({ verdict: 'pass', failures: [], notes: [] });
    expect(v.durationMs).toBeCloseTo(39.459);
  });

  it('skip: exit 4, the reason from the plan SKIP directive', () => {
    const v = judgeProbe(c, record('probes-examples.txt', 1));
    expect(v).toMatchObject({ verdict: 'skip', skipReason: 'SysV IPC is not built in (shmget: ENOSYS, CONFIG_SYSVIPC=n)' });
  });

  it('fail: the failing tests by name, deepest first, with their diagnostic lines; TODO, XFAIL and SKIP do not fail', () => {
    const v = judgeProbe(c, record('probes-fixtures.txt', 2));
    expect(v.verdict).toBe('fail');
    expect(messages(v)).toEqual([
      'probe: not ok 2 second, output line 6',
      'probe: not ok 2 inner_fail (nested > inner_fail), output line 12',
      'probe: the probe exited with code 1 (KSFT_FAIL)',
    ]);
    expect(v.failures[0]?.details).toEqual(['# expected [anon:a], got [anon:b]', '# at page 3']);
    // at the case's probe key, when the case says where it is
    const pos = { file: 'cases/probes/x.yaml', line: 3, col: 1 };
    const at = judgeProbe({ ...c, probe: { from: 'case', path: 'x.c', abs: '/x.c', pos } }, record('probes-fixtures.txt', 2));
    expect(at.failures.map((f) => [f.path, f.pos])).toEqual(v.failures.map(() => ['probe', pos]));
    expect(v.failures[1]?.details).toEqual(['# inner diagnostic']);
    expect(v.failures.every((f) => f.kind === 'test' && f.path === 'probe')).toBe(true);
    expect(formatFailures(v.failures, { color: false }).slice(0, 3)).toEqual([
      '    probe: not ok 2 second, output line 6',
      '        # expected [anon:a], got [anon:b]',
      '        # at page 3',
    ]);
  });

  it('fail: Bail out! with its reason, and the plan not met', () => {
    const v = judgeProbe(c, record('probes-fixtures.txt', 0));
    expect(v.verdict).toBe('fail');
    expect(messages(v)).toEqual([
      'probe: planned 3 tests (output line 2), 1 reported',
      'probe: Bail out! mmap of the window: Out of memory (output line 4)',
      'probe: the probe exited with code 1 (KSFT_FAIL)',
    ]);
  });

  it('broken: killed by a signal after some results (a probe fault, as docs/reliability.md says), the TAP failures kept', () => {
    const v = judgeProbe(c, record('probes-fixtures.txt', 1));
    expect(v.verdict).toBe('broken');
    expect(messages(v)).toEqual(['the probe was killed by signal 11 (SIGSEGV)', 'probe: planned 2 tests (output line 2), 1 reported']);
    expect(v.failures[0]?.kind).toBe('harness');
    expect(v.failures[0]?.details?.at(-1)).toBe('# about to write to NULL');
  });

  it('broken: no TAP at all; the output tail is shown', () => {
    const v = judgeProbe(c, record('probes-fixtures.txt', 3));
    expect(v.verdict).toBe('broken');
    expect(messages(v)).toEqual(['the probe printed no TAP (no version, plan or result line) and exited with code 3; its last output lines:']);
    expect(v.failures[0]?.details).toEqual(['plain text, not TAP', 'no-tap: something went wrong']);
  });

  it('crashed: the stream stops inside the case; no record at all', () => {
    const text = fixture('streams/probes-fixtures.txt');
    const cut = text.slice(0, text.indexOf('T 2 end'));
    const r = casesByIndex(parseResultStream(cut)).get(2);
    const v = judgeProbe(c, r);
    expect(v.verdict).toBe('crashed');
    expect(v.failures[0]?.message).toMatch(/no end record/);
    expect(judgeProbe(c, undefined).verdict).toBe('crashed');
  });

  it('pass turns into fail when the exit status says so, and a timeout is broken', () => {
    const ok = record('probes-examples.txt', 0);
    expect(messages(judgeProbe(c, { ...ok, end: { kind: 'exit', code: 1 } }))).toEqual(['probe: the probe exited with code 1 (KSFT_FAIL) although no test failed']);
    expect(judgeProbe(c, { ...ok, end: { kind: 'timeout' } }).verdict).toBe('broken');
  });
});
