// spec: P2 — built with CONFIG_ANON_VMA_NAME=n every call returns EINVAL; a suite reports skip, not fail.
// Runs every case under cases/ on a kernel built without the feature: Debian's own
// prebuilt 6.12 cloud kernel (`--kernel debian-image:6.12-cloud-amd64`, fetched by
// apt-get download: no kernel build; the same source as the default kernel, Debian's
// configuration, which lacks ANON_VMA_NAME). The cases that need it (said in `requires`,
// or implied by a `name` step) skip with that reason; every other case still runs and
// passes (or skips for another option Debian's kernel lacks), errors/p2-feature-off-einval included.
// The same on vmaspec's own kernel with the feature switched off is `--profile
// no-anon-vma-name` (kernel-config/profiles/), a second kernel build of ~4 minutes.
import { readFile } from 'node:fs/promises';
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
let artifactsDir: string;

beforeAll(async () => {
  const spec = await loadArch('x86_64');
  const log = createLogger({ verbose: false, stream: process.stderr });
  const kernel = buildKernelRequest({ debianImage: { series: '6.12', flavour: 'cloud-amd64' } }, spec);
  artifactsDir = artifactsFolder(join(repoRoot, 'artifacts'));
  report = await runSuite({ casesRoot, paths: [], kernel, spec, artifactsDir, log, reporters: [] }, cases);
  process.stderr.write(`vmaspec: without ANON_VMA_NAME: ${report.summary.pass} passed, ${report.summary.skip} skipped of ${report.summary.total}\n`);
}, 30 * 60_000);

describe('P2: the suite on a kernel without CONFIG_ANON_VMA_NAME', () => {
  it('the kernel really lacks it, and both kinds of case are there', async () => {
    expect(report.kernel.source).toMatch(/^debian-image:6\.12-cloud-amd64 \(linux-image-6\.12\.\S+-cloud-amd64-unsigned /);
    expect(report.kernel.release).toMatch(/^6\.12\./);
    const config = await readFile(join(artifactsDir, 'kernel.config'), 'utf8');
    expect(config).toMatch(/^CONFIG_PROC_FS=y$/m);
    expect(config).not.toMatch(/^CONFIG_ANON_VMA_NAME=/m);
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
