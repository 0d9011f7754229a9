// Upstream selftests as cases: `probe: { kernel_source }` in case files, and the verdicts of
// their output from a real guest stream (test/fixtures/streams/upstream-selftests.txt, captured
// on the default 6.12 kernel: 0 prctl/set-anon-vma-name-test (kselftest harness TAP, exit 0),
// 1 proc/proc-pid-vm (no output, exit 0), 2 proc/setns-sysvipc (no output, exit 1: the guest
// has no SysV IPC)).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCases } from '../../runner/cases/load.js';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';
import type { CaseRecord } from '../../runner/results/types.js';
import { selftestName, wrapSelftest } from '../../runner/tap/selftest.js';
import { judgeProbe } from '../../runner/tap/verdict.js';
import { fixture } from '../fixtures/plans.js';

const c = { id: 'upstream/x', timeoutMs: 20_000 };
const PID_VM = 'tools/testing/selftests/proc/proc-pid-vm.c';

function record(index: number): CaseRecord {
  const r = casesByIndex(parseResultStream(fixture('streams/upstream-selftests.txt'))).get(index);
  if (!r) throw new Error(`no case ${index}`);
  return r;
}

describe('selftestName', () => {
  it('is the name kselftest runner.sh prints', () => {
    expect(selftestName(PID_VM)).toBe('selftests: proc: proc-pid-vm');
    expect(selftestName('tools/testing/selftests/prctl/set-anon-vma-name-test.c')).toBe('selftests: prctl: set-anon-vma-name-test');
  });
});

describe('wrapSelftest and judgeProbe', () => {
  it('leaves a selftest that prints TAP itself (kselftest harness) as it is', () => {
    const r = record(0);
    expect(wrapSelftest(r, 'tools/testing/selftests/prctl/set-anon-vma-name-test.c')).toBe(r);
    expect(judgeProbe(c, r)).toMatchObject({ verdict: 'pass', failures: [] });
  });

  it('passes a silent selftest that exits 0, which without the wrap has no TAP (broken)', () => {
    expect(judgeProbe(c, record(1)).verdict).toBe('broken');
    const wrapped = wrapSelftest(record(1), PID_VM);
    expect(wrapped?.output).toEqual(['TAP version 13', '1..1', 'ok 1 selftests: proc: proc-pid-vm']);
    expect(judgeProbe(c, wrapped)).toMatchObject({ verdict: 'pass', failures: [], notes: [] });
  });

  it('fails a selftest that exits 1, naming it', () => {
    const v = judgeProbe(c, wrapSelftest(record(2), 'tools/testing/selftests/proc/setns-sysvipc.c'));
    expect(v.verdict).toBe('fail');
    expect(v.failures.map((f) => f.message)).toEqual(['probe: not ok 1 selftests: proc: setns-sysvipc # exit=1, output line 3', 'probe: the probe exited with code 1 (KSFT_FAIL)']);
  });

  it('keeps the output as diagnostics; exit 4 skips with the last line, a signal fails', () => {
    const said = { ...record(2), output: ['unshare: Operation not permitted'] };
    const skipped = judgeProbe(c, wrapSelftest({ ...said, end: { kind: 'exit', code: 4 } }, PID_VM));
    expect(skipped).toMatchObject({ verdict: 'skip', skipReason: 'the selftest exited with KSFT_SKIP (4): unshare: Operation not permitted' });
    const killed = judgeProbe(c, wrapSelftest({ ...said, end: { kind: 'signal', signo: 6 } }, PID_VM));
    expect(killed.verdict).toBe('fail');
    expect(killed.failures[0]).toMatchObject({ message: 'probe: not ok 1 selftests: proc: proc-pid-vm # exit=134 (signal 6), output line 4', details: ['# unshare: Operation not permitted'] });
  });

  it('leaves timeouts and crashes to judgeProbe', () => {
    const timedOut = { ...record(1), end: { kind: 'timeout' as const } };
    expect(wrapSelftest(timedOut, PID_VM)).toBe(timedOut);
    expect(wrapSelftest(undefined, PID_VM)).toBeUndefined();
  });
});

describe('probe: { kernel_source }', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vmaspec-upstream-'));
    await mkdir(join(root, 'upstream'));
    await writeFile(join(root, 'upstream', 'a.yaml'), `title: t\nprobe: { kernel_source: ${PID_VM} }\n`);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('loads as a kernel source, not checked against the case folder', async () => {
    const [loaded] = await loadCases(root);
    expect(loaded?.probe).toEqual({ from: 'kernel', path: PID_VM, pos: expect.objectContaining({ line: 2, col: 25 }) });
  });
});
