// Kernel reports of the debug profile's checkers on a real kernel (docs/reliability.md):
// LKDTM provokes a slab use-after-free (KASAN), an out-of-bounds index (UBSAN) and a
// corrupted list_add (DEBUG_LIST) between ordinary cases (test/fixtures/health/debug/).
// Runs only with VMASPEC_DEBUG_PROFILE=1 (`npm run test:debug` builds that kernel too):
// the debug kernel is a long build of its own.
import { beforeAll, describe, expect, it } from 'vitest';
import { formatFailures } from '../../runner/report/terminal.js';
import type { RunReport } from '../../runner/report/types.js';
import { runHealthSet } from './health-run.js';

const enabled = process.env['VMASPEC_DEBUG_PROFILE'] === '1';
let report: RunReport;

beforeAll(async () => {
  if (!enabled) return;
  const run = await runHealthSet('debug', ['debug']);
  report = run.report;
  process.stderr.write(`vmaspec: health fixtures (debug): ${report.cases.map((c) => `${c.id}=${c.verdict}`).join(' ')} in ${Math.round(run.ms / 1000)} s\n`);
}, 60 * 60_000);

const result = (id: string) => {
  const r = report.cases.find((c) => c.id === id);
  expect(r, `no result for ${id}`).toBeDefined();
  return r!;
};

describe.skipIf(!enabled)(`debug-profile reports (${enabled ? 'VMASPEC_DEBUG_PROFILE=1' : 'skipped: set VMASPEC_DEBUG_PROFILE=1'})`, () => {
  it.each([
    ['02-read-after-free', 'kasan', /^BUG: KASAN: slab-use-after-free in lkdtm_READ_AFTER_FREE$/],
    ['04-array-bounds', 'ubsan', /^UBSAN: array-index-out-of-bounds in drivers\/misc\/lkdtm\/bugs\.c:\d+:\d+$/],
    ['06-corrupt-list-add', 'mm', /^list_add corruption\./],
  ] as const)('%s: splat, %s', (id, kind, title) => {
    const r = result(id);
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe('splat');
    expect(r.kernel?.title).toMatch(title);
    expect(r.kernel?.reports[0]?.kind).toBe(kind);
  });

  it.each(['01-ordinary', '03-ordinary', '05-ordinary', '07-ordinary'])('%s, a neighbour, still passes', (id) => {
    const r = result(id);
    expect(r.verdict, formatFailures(r.failures).join('\n')).toBe('pass');
  });
});
