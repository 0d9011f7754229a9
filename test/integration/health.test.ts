// Kernel health verdicts on a real kernel (docs/reliability.md): LKDTM provokes a WARNING,
// a BUG, a NULL dereference, a refcount underflow and a panic, between ordinary cases, in
// one run of test/fixtures/health/fast/ on the default kernel (CONFIG_LKDTM: health.config).
// Each fault must get its verdict and title in its own case; the neighbours still pass.
// The hang proofs (hung task, soft lockup) take ~30 s: health-hang.test.ts (npm run test:slow).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatFailures } from '../../runner/report/terminal.js';
import type { RunReport } from '../../runner/report/types.js';
import { runHealthSet } from './health-run.js';

let report: RunReport;
let artifactsDir: string;

beforeAll(async () => {
  const run = await runHealthSet('fast');
  report = run.report;
  artifactsDir = run.artifactsDir;
  process.stderr.write(`vmaspec: health fixtures (fast): ${report.cases.map((c) => `${c.id}=${c.verdict}`).join(' ')} in ${Math.round(run.ms / 1000)} s\n`);
}, 10 * 60_000);

const EXPECTED: [id: string, verdict: string, title: RegExp][] = [
  ['02-warning', 'splat', /^WARNING: at drivers\/misc\/lkdtm\/bugs\.c:\d+ lkdtm_WARNING$/],
  ['04-bug', 'crashed', /^kernel BUG at drivers\/misc\/lkdtm\/bugs\.c:\d+!$/],
  ['06-exception', 'crashed', /^BUG: kernel NULL pointer dereference$/],
  ['08-refcount-dec-zero', 'splat', /^refcount_t: decrement hit 0; leaking memory\.$/],
  ['10-panic', 'crashed', /^Kernel panic - not syncing: dumptest$/],
];

const result = (id: string) => {
  const r = report.cases.find((c) => c.id === id);
  expect(r, `no result for ${id}`).toBeDefined();
  return r!;
};

describe('LKDTM faults get their verdict and title, in their own case', () => {
  it.each(EXPECTED)('%s: %s', (id, verdict, title) => {
    const r = result(id);
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe(verdict);
    expect(r.kernel?.title).toMatch(title);
    expect(r.failures[0]?.kind).toBe('kernel');
    // The whole kernel log of the case is in the artifacts, with the report.
    const log = join(artifactsDir, 'kmsg', `${id}.log`);
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'latin1')).toContain(`## ${r.kernel!.reports[0]!.kind}: ${r.kernel!.title}`);
  });

  it('a fault that survives (WARNING) was seen in the /dev/kmsg records; one that kills the guest on the console', () => {
    expect(readFileSync(join(artifactsDir, 'kmsg', '02-warning.log'), 'latin1')).toMatch(/^# 02-warning: \/dev\/kmsg records of the case/);
    expect(readFileSync(join(artifactsDir, 'kmsg', '10-panic.log'), 'latin1')).toMatch(/^# 10-panic: the console between the case marks/);
  });

  it.each(['01-ordinary', '03-ordinary', '05-ordinary', '07-ordinary', '09-ordinary', '11-ordinary'])('%s, a neighbour, still passes with no kernel report', (id) => {
    const r = result(id);
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe('pass');
    expect(r.kernel).toBeUndefined();
  });

  it('12-segfault: a probe that dies of SIGSEGV is broken, and the kernel\'s segfault note is no report', () => {
    const r = result('12-segfault');
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe('broken');
    expect(r.kernel).toBeUndefined();
    expect(readFileSync(join(artifactsDir, 'kmsg', '12-segfault.log'), 'latin1')).toMatch(/\]: segfault at 0 ip /);
    expect(result('13-ordinary').verdict).toBe('pass');
  });

  it('every crash re-booted the guest for the cases left: 4 boots for 3 crashes', () => {
    expect(existsSync(join(artifactsDir, 'console-4.log'))).toBe(true);
    expect(existsSync(join(artifactsDir, 'console-5.log'))).toBe(false);
  });
});
