// The whole suite on the `debug` kernel profile (kernel-config/profiles/debug.config:
// KASAN, lockdep, DEBUG_VM with the maple tree checks, DEBUG_LIST, DEBUG_OBJECTS,
// UBSAN): every case passes (fork-cost skips: it needs DEBUG_VM_MAPLE_TREE off),
// with no kernel report on any console.
//
// COSTLY, so off by default: a cold build of this kernel took 7-13 min on 2 shared
// cores (the default kernel: ~4 min), and each case runs ~3.5x slower (docs/debug-profile.md).
// Runs only with VMASPEC_DEBUG_PROFILE=1 (`npm run test:debug`); otherwise every test
// here is skipped with that reason.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../runner/cases/types.js';
import { REPORT_PATTERNS } from '../../runner/health/patterns.js';
import { parseKconfig } from '../../runner/kernel/kconfig.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { kernelSlowdown } from '../../runner/kernel/slowdown.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import { formatFailures } from '../../runner/report/terminal.js';
import type { RunReport } from '../../runner/report/types.js';
import { artifactsFolder, loadSuite, runSuite } from '../../runner/run.js';

const enabled = process.env['VMASPEC_DEBUG_PROFILE'] === '1';
const why = 'the debug profile needs its own long kernel build: set VMASPEC_DEBUG_PROFILE=1 (npm run test:debug)';

/** A console line that starts a kernel report: the splat scanner's patterns, plus any `BUG:`/`WARNING:`/`ODEBUG:`. */
const isReport = (line: string): boolean => {
  const text = line.replace(/^\[\s*[\d.]+\] /, '');
  return /BUG: |WARNING: |ODEBUG: /.test(text) || REPORT_PATTERNS.some((p) => p.match.test(text));
};

const casesRoot = join(repoRoot, 'cases');
const cases: Case[] = enabled ? await loadSuite(casesRoot, []) : [];
let report: RunReport;
let artifactsDir: string;

beforeAll(async () => {
  if (!enabled) return;
  const spec = await loadArch('x86_64');
  const log = createLogger({ verbose: false, stream: process.stderr });
  artifactsDir = artifactsFolder(join(repoRoot, 'artifacts'));
  const kernel = buildKernelRequest({ profiles: ['debug'] }, spec);
  report = await runSuite({ casesRoot, paths: [], kernel, spec, artifactsDir, log, reporters: [] }, cases);
  process.stderr.write(`vmaspec: debug profile: ${report.summary.pass} passed, ${report.summary.skip} skipped of ${report.summary.total} in ${Math.round(report.durationMs / 1000)} s (${artifactsDir})\n`);
}, 60 * 60_000);

describe.skipIf(!enabled)(`the suite on --profile debug (${enabled ? 'VMASPEC_DEBUG_PROFILE=1' : `skipped: ${why}`})`, () => {
  it('the kernel has the checkers, and the run stretched its timeouts for them', async () => {
    const config = parseKconfig(await readFile(join(artifactsDir, 'kernel.config'), 'utf8'));
    for (const option of ['KASAN', 'PROVE_LOCKING', 'DEBUG_VM', 'DEBUG_VM_MAPLE_TREE', 'DEBUG_LIST', 'DEBUG_OBJECTS', 'UBSAN']) expect(config.get(option), option).toBe('y');
    expect(kernelSlowdown(config)).toBeGreaterThan(1);
  });

  // The verdicts already include the splat scanner's (a report during a case is `splat`);
  // this reads every console whole, between cases too.
  it('the kernel printed no report (KASAN, lockdep, WARN, BUG, UBSAN) on any console of the run', async () => {
    const logs = (await readdir(artifactsDir)).filter((f) => /^console-(?:\d+\.)?\d+\.log$/.test(f));
    expect(logs.length).toBeGreaterThan(0);
    const reports: string[] = [];
    for (const f of logs) for (const line of (await readFile(join(artifactsDir, f), 'utf8')).split('\n')) if (isReport(line)) reports.push(`${f}: ${line}`);
    expect(reports).toEqual([]);
    expect(logs.filter((f) => !/[-.]1\.log$/.test(f)), 'one boot per guest: no case crashed it').toEqual([]);
  });

  it.each(cases.map((c) => [c.id] as const))('%s passes', (id) => {
    const result = report.cases.find((r) => r.id === id);
    expect(result, 'the run produced no result for this case').toBeDefined();
    if (result!.verdict === 'skip') {
      expect(result!.skipReason, 'a skip needs a reason').toBeTruthy();
      return;
    }
    expect(result!.verdict, `${result!.file}\n${formatFailures(result!.failures, { color: false }).join('\n')}`).toBe('pass');
  });
});
