// Runs the health fixture cases of one folder (test/fixtures/health/<set>/) on the
// default kernel: shared by test/integration/health*.test.ts.
import { join } from 'node:path';
import { loadCases } from '../../runner/cases/load.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import type { RunReport } from '../../runner/report/types.js';
import { artifactsFolder, runSuite } from '../../runner/run.js';

export const healthFixtures = join(repoRoot, 'test', 'fixtures', 'health');

/** The report of one run of the fixture set (on the default kernel plus `profiles`), and how long it took. */
export async function runHealthSet(set: string, profiles: string[] = []): Promise<{ report: RunReport; ms: number; artifactsDir: string }> {
  const casesRoot = join(healthFixtures, set);
  const cases = await loadCases(casesRoot);
  const spec = await loadArch('x86_64');
  const log = createLogger({ verbose: false, stream: process.stderr });
  const kernel = buildKernelRequest({ profiles }, spec);
  const artifactsDir = artifactsFolder(join(repoRoot, 'artifacts'));
  const t0 = Date.now();
  // One guest: the fixtures are about what a crash does to the cases after it in the same boot.
  const report = await runSuite({ casesRoot, paths: [], kernel, spec, artifactsDir, log, reporters: [], vms: 1 }, cases);
  return { report, ms: Date.now() - t0, artifactsDir };
}
