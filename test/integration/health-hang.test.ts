// Hang verdicts on a real kernel (docs/reliability.md), ~30 s, so only with
// VMASPEC_SLOW=1 (`npm run test:slow`); otherwise every test here is skipped. LKDTM's HUNG_TASK leaves the probe in D state: the supervisor
// cannot kill it at its timeout, ends the case `hung` and powers off; SOFTLOCKUP spins
// the only CPU: the guest stops answering and the host's per-case watchdog stops it.
// Both are `crashed` with the detector's title; the ordinary neighbours still pass.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runHealthSet } from './health-run.js';
import { formatFailures } from '../../runner/report/terminal.js';
import type { RunReport } from '../../runner/report/types.js';

const enabled = process.env['VMASPEC_SLOW'] === '1';
let report: RunReport;
let ms = 0;
let artifactsDir: string;

beforeAll(async () => {
  if (!enabled) return;
  ({ report, ms, artifactsDir } = await runHealthSet('hang'));
  process.stderr.write(`vmaspec: health fixtures (hang): ${report.cases.map((c) => `${c.id}=${c.verdict}`).join(' ')} in ${Math.round(ms / 1000)} s\n`);
}, 10 * 60_000);

const result = (id: string) => {
  const r = report.cases.find((c) => c.id === id);
  expect(r, `no result for ${id}`).toBeDefined();
  return r!;
};

describe.skipIf(!enabled)(`hangs (${enabled ? 'VMASPEC_SLOW=1' : 'skipped: ~30 s of guest time, set VMASPEC_SLOW=1 (npm run test:slow)'})`, () => {
  it('HUNG_TASK: crashed, titled by the hung-task detector, ended by the guest (not the host watchdog)', () => {
    const r = result('02-hung-task');
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe('crashed');
    expect(r.kernel?.title).toBe('INFO: task 1 blocked for more than N seconds');
    expect(r.failures.map((f) => f.message)).toContain('timed out after 6000 ms and could not be killed: the kernel hung it');
    expect(r.durationMs).not.toBeNull();
  });

  it('SOFTLOCKUP: crashed, titled by the soft-lockup detector, stopped by the per-case host watchdog', () => {
    const r = result('04-softlockup');
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe('crashed');
    expect(r.kernel?.title).toMatch(/^BUG: soft lockup - CPU#0 stuck for Ns! \[\d+\]$/);
    expect(r.failures.some((f) => /the host watchdog stopped the guest: case \d+ sent no end record within 13 s/.test(f.message))).toBe(true);
  });

  it.each(['01-ordinary', '03-ordinary', '05-ordinary'])('%s, a neighbour, still passes', (id) => {
    const r = result(id);
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe('pass');
    expect(r.kernel).toBeUndefined();
  });

  it('each hang cost one boot and its own budget, not the sum of all timeouts', () => {
    expect(existsSync(join(artifactsDir, 'console-3.log'))).toBe(true);
    expect(ms).toBeLessThan(60_000);
  });
});
