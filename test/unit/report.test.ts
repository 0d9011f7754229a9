import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { caseReport, emit, runReport, summarize } from '../../runner/report/build.js';
import { jsonReporter, writeJsonReport } from '../../runner/report/json.js';
import { formatCase, formatSummary, terminalReporter } from '../../runner/report/terminal.js';
import type { CaseReport, RunReport } from '../../runner/report/types.js';
import { parseResultStream } from '../../runner/results/stream.js';
import { judgeCase, skipVerdict } from '../../runner/verdict/judge.js';
import { fixture, s1Case } from '../fixtures/plans.js';

const { c, compiled } = s1Case();
const records = parseResultStream(fixture('streams/pass-fail-crash.txt')).cases;
const cases: CaseReport[] = [
  ...records.map((r) => caseReport(c, judgeCase(compiled, c, r))),
  caseReport({ ...c, id: 'shmem/s17' }, skipVerdict('needs kernel >=6.13')),
];
const report: RunReport = runReport({
  kernel: { release: '6.12.117', arch: 'x86_64', source: 'debian:linux-source-6.12' },
  started: '2025-01-01T00:00:00.000Z',
  durationMs: 2345,
  cases,
});

describe('terminal report', () => {
  it('prints one line per case with verdict, id and duration', () => {
    expect(formatCase(cases[0] as CaseReport)).toBe('PASS    merge/s1-name-middle-page  1.5 ms');
    expect(formatCase(cases[3] as CaseReport)).toBe('SKIP    shmem/s17  -  (needs kernel >=6.13)');
  });

  it('indents failure details and the diff under the case line', () => {
    const lines = formatCase(cases[1] as CaseReport).split('\n');
    expect(lines[0]).toBe('FAIL    merge/s1-name-middle-page  2.2 ms');
    expect(lines[1]).toBe('    cases/merge/s1-name-middle-page.yaml');
    expect(lines).toContain('    steps[2].expect.layout (parent): VMA 1 at page 1 (0x200000002000): name: expected "[anon:mid]", got ""');
    expect(lines).toContain('    steps[5].name.errno (parent): expected EINVAL (22), got success');
    expect(lines.slice(1).every((l) => l.startsWith('    '))).toBe(true);
    expect(lines.some((l) => l.includes('<- name'))).toBe(true);
  });

  it('summarizes counts per verdict and total time', () => {
    expect(summarize(cases)).toEqual({ pass: 1, fail: 1, splat: 0, crashed: 1, broken: 0, skip: 1, total: 4 });
    expect(formatSummary(report)).toBe('4 cases: 1 pass, 1 fail, 1 crashed, 1 skip in 2345 ms');
  });

  it('writes through lifecycle hooks', async () => {
    let out = '';
    const term = terminalReporter({ write: (t) => (out += t) });
    for (const k of cases) await emit([term], 'onCaseDone', k);
    await emit([term], 'onRunDone', report);
    expect(out.split('\n').filter((l) => /^[A-Z]/.test(l))).toHaveLength(4);
    expect(out.endsWith('in 2345 ms\n')).toBe(true);
  });
});

describe('JSON report', () => {
  it('writes the vmaspec-report/1 document', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmaspec-report-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'sub', 'report.json');
    await writeJsonReport(file, report);
    const doc = JSON.parse(await readFile(file, 'utf8')) as RunReport;
    expect(doc.schema).toBe('vmaspec-report/1');
    expect(doc.kernel.release).toBe('6.12.117');
    expect(doc.summary.total).toBe(4);
    expect(doc.cases.map((x) => x.verdict)).toEqual(['pass', 'fail', 'crashed', 'skip']);
    expect(doc.cases[3]?.skipReason).toBe('needs kernel >=6.13');
    expect(doc.cases[1]?.failures.find((f) => f.field === 'name')?.path).toBe('steps[2].expect.layout[1].name');
  });

  it('is a reporter too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmaspec-report-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'r.json');
    await emit([jsonReporter(file)], 'onRunDone', report);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ schema: 'vmaspec-report/1', durationMs: 2345 });
  });
});
