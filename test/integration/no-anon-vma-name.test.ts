// spec: P2 — built with CONFIG_ANON_VMA_NAME=n every call returns EINVAL; a suite reports skip, not fail.
// Runs every case under cases/ on the default kernel with the feature switched off
// (kernel-config/profiles/no-anon-vma-name.config): the cases that need it (said in
// `requires`, or implied by a `name` step) skip with that reason; every other case
// still runs and passes, errors/p2-feature-off-einval included.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Case } from '../../runner/cases/types.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import { formatFailures } from '../../runner/report/terminal.js';
import type { RunReport } from '../../runner/report/types.js';
import { artifactsFolder, loadSuite, runSuite } from '../../runner/run.js';

const casesRoot = join(repoRoot, 'cases');
const cases: Case[] = await loadSuite(casesRoot, []);
const needsName = (c: Case): boolean => c.requires.kconfig.includes('ANON_VMA_NAME');

let report: RunReport;

beforeAll(async () => {
  const spec = await loadArch('x86_64');
  const log = createLogger({ verbose: false, stream: process.stderr });
  const kernel = buildKernelRequest({ profiles: ['no-anon-vma-name'] }, spec);
  report = await runSuite({ casesRoot, paths: [], kernel, spec, artifactsDir: artifactsFolder(join(repoRoot, 'artifacts')), log, reporters: [] }, cases);
  process.stderr.write(`vmaspec: without ANON_VMA_NAME: ${report.summary.pass} passed, ${report.summary.skip} skipped of ${report.summary.total}\n`);
}, 30 * 60_000);

describe('P2: the suite on a kernel without CONFIG_ANON_VMA_NAME', () => {
  it('the kernel really lacks it, and both kinds of case are there', () => {
    expect(report.kernel.source).toBe('debian:6.12');
    expect(cases.filter(needsName).length).toBeGreaterThan(50);
    expect(cases.filter((c) => !needsName(c)).length).toBeGreaterThan(10);
  });

  it('errors/p2-feature-off-einval ran its ANON_VMA_NAME=n steps and passed', () => {
    expect(report.cases.find((r) => r.id === 'errors/p2-feature-off-einval')?.verdict).toBe('pass');
  });

  describe.each(cases.map((c) => [c.id, c] as const))('%s', (id, c) => {
    it(needsName(c) ? 'skips: it needs CONFIG_ANON_VMA_NAME' : 'runs and passes', () => {
      const result = report.cases.find((r) => r.id === id);
      expect(result, 'the run produced no result for this case').toBeDefined();
      if (needsName(c)) {
        expect(result!.verdict).toBe('skip');
        expect(result!.skipReason).toMatch(/CONFIG_ANON_VMA_NAME/);
        return;
      }
      const why = formatFailures(result!.failures, { color: false }).join('\n');
      if (result!.verdict === 'skip') expect(result!.skipReason, `skipped for another reason`).not.toMatch(/ANON_VMA_NAME/);
      else expect(result!.verdict, `${result!.file}\n${why}`).toBe('pass');
    });
  });
});
