// The verdict with the kernel's health (runner/health/verdict.ts), on reports scanned from
// the real fixture logs: splat, crashed with a title, accepted by known-splats.yaml, taint.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKnownSplats } from '../../runner/health/allowlist.js';
import { attributeLines } from '../../runner/health/attribute.js';
import { consoleLines } from '../../runner/health/log.js';
import { scanReports, type KernelReport } from '../../runner/health/scan.js';
import { applyHealth, type HealthInput } from '../../runner/health/verdict.js';
import { parseResultStream } from '../../runner/results/stream.js';
import type { Verdict } from '../../runner/verdict/types.js';

const logs = join(import.meta.dirname, '..', 'fixtures', 'health', 'logs');
const reportsOf = (file: string, index: number): KernelReport[] => scanReports(attributeLines(consoleLines(readFileSync(join(logs, file), 'latin1'))).cases.get(index) ?? []);
const pass: Verdict = { verdict: 'pass', failures: [], durationMs: 3, notes: [] };
const input = (reports: KernelReport[], more: Partial<HealthInput> = {}): HealthInput => ({ reports, taintBefore: 0, taintAfter: 512, timedOut: false, known: [], release: '6.12.117', log: 'artifacts/x/kmsg/c.log', ...more });

describe('applyHealth', () => {
  const warning = reportsOf('fast/console-1.log', 1);

  it('a WARNING in a case that passed makes it splat, titled by the report, with the log path', () => {
    const v = applyHealth(pass, input(warning));
    expect(v.verdict).toBe('splat');
    expect(v.kernel?.title).toBe('WARNING: at drivers/misc/lkdtm/bugs.c:112 lkdtm_WARNING');
    expect(v.failures[0]).toMatchObject({ kind: 'kernel', message: 'kernel: WARNING: at drivers/misc/lkdtm/bugs.c:112 lkdtm_WARNING' });
    expect(v.failures[0]!.details!.at(-1)).toBe('kernel log: artifacts/x/kmsg/c.log');
  });

  it('a report known-splats.yaml accepts leaves the verdict, with a note naming the entry', () => {
    const known = parseKnownSplats('known:\n  - title: "^WARNING: at drivers/misc/lkdtm/"\n    reason: LKDTM warns on purpose\n', 'known-splats.yaml');
    const v = applyHealth(pass, input(warning, { known }));
    expect(v.verdict).toBe('pass');
    expect(v.notes).toEqual(['known kernel report, accepted by known-splats.yaml:2: WARNING: at drivers/misc/lkdtm/bugs.c:112 lkdtm_WARNING (LKDTM warns on purpose)']);
    expect(v.kernel?.reports[0]?.known).toBe('known-splats.yaml:2: LKDTM warns on purpose');
  });

  it('a taint change with no report is a splat of its own', () => {
    const v = applyHealth(pass, input([]));
    expect(v.verdict).toBe('splat');
    expect(v.kernel?.title).toBe('kernel taint changed: 0 -> 512 (W)');
    expect(applyHealth(pass, input([], { taintAfter: 0 })).verdict).toBe('pass');
  });

  it('a crash keeps `crashed` and takes the title of the fatal report', () => {
    const crashed: Verdict = { ...pass, verdict: 'crashed', failures: [{ kind: 'harness', message: 'the guest stopped', path: null, proc: null, step: null }] };
    const v = applyHealth(crashed, input(reportsOf('fast/console-2.log', 5), { taintAfter: null }));
    expect(v.verdict).toBe('crashed');
    expect(v.kernel?.title).toBe('BUG: kernel NULL pointer dereference');
    expect(v.failures.map((f) => f.kind)).toEqual(['kernel', 'harness']);
  });

  it('a hang report in a case that timed out makes it crashed, even when its probe was killed', () => {
    const broken: Verdict = { ...pass, verdict: 'broken' };
    const v = applyHealth(broken, input(reportsOf('hang/console-1.log', 1), { timedOut: true, taintAfter: 0 }));
    expect(v.verdict).toBe('crashed');
    expect(v.kernel?.title).toBe('INFO: task 1 blocked for more than N seconds');
  });
});

describe('the result stream carries the hung end and kernel log losses', () => {
  it('parses `hung`, K records and K overrun', () => {
    const s = parseResultStream('vmaspec-results 1\nT 0 begin 0\nK 7 4 1000 a\\x0ab\nK overrun\nT 0 end hung 0 8000000\nD\n');
    expect(s.cases[0]).toMatchObject({ end: { kind: 'hung' }, kmsg: [{ seq: 7, level: 4, usec: 1000, text: 'a\\x0ab' }], kmsgLost: ['overrun'] });
    expect(s.garbage).toEqual([]);
  });
});
