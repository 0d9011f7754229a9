// `vmaspec mutants`: the unpatched kernel first (the baseline), then per mutant the
// kernel with that one patch (an incremental build in the source's working copy:
// runner/kernel/series.ts) and the whole suite on it.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case } from '../cases/types.js';
import { buildKernelRequest, type KernelOptions } from '../kernel/request.js';
import type { Logger } from '../log.js';
import type { ArchSpec } from '../qemu/arch.js';
import type { RunReport } from '../report/types.js';
import { runSuite } from '../run.js';
import type { Mutant } from './patches.js';
import { failedCases, mergeReports, mutantError, mutantResult, renderMutants, type BaselineResult, type MutantResult, type MutantsReport } from './report.js';

export interface MutantsRequest {
  casesRoot: string;
  cases: Case[];
  mutants: Mutant[];
  /** Names of every mutant in mutants/ (results of removed ones are dropped from the report). */
  known: string[];
  /** Kernel options besides the source (cache dir, jobs, extra fragments). */
  kernel: Omit<KernelOptions, 'tree' | 'image' | 'patches'>;
  spec: ArchSpec;
  /** docs/mutants.md; the JSON goes beside it (docs/mutants.json). */
  reportFile: string;
  artifactsDir: string;
  log: Logger;
  signal?: AbortSignal;
}

/** Runs the baseline and the mutants; writes the report after each; resolves to the merged report. */
export async function runMutants(request: MutantsRequest): Promise<MutantsReport> {
  const { log, spec } = request;
  const jsonFile = request.reportFile.replace(/\.md$/, '.json');
  const earlier: MutantsReport | null = existsSync(jsonFile) ? (JSON.parse(await readFile(jsonFile, 'utf8')) as MutantsReport) : null;
  const results: MutantResult[] = [];
  let baseline: BaselineResult | null = null;
  const save = async (): Promise<MutantsReport> => {
    const merged = mergeReports(earlier, baseline, results, request.known);
    const pending = request.known.filter((k) => !merged.mutants.some((m) => m.name === k));
    await writeFile(jsonFile, `${JSON.stringify(merged, null, 2)}\n`);
    await writeFile(request.reportFile, renderMutants(merged, pending));
    return merged;
  };
  // Each mutant is a one-patch series on Debian's source: built incrementally in the
  // source's working copy (runner/kernel/series.ts), then reversed.
  const suite = async (name: string, patches: string[]): Promise<RunReport> =>
    runSuite({ casesRoot: request.casesRoot, paths: [], kernel: buildKernelRequest({ ...request.kernel, patches }, spec), spec, artifactsDir: join(request.artifactsDir, name), log, reporters: [], signal: request.signal }, request.cases);

  log.info(`mutants: baseline (the unpatched kernel), ${request.cases.length} case(s)`);
  const base = await suite('baseline', []);
  baseline = { kernel: `${base.kernel.source} ${base.kernel.release}`, cases: base.cases.length, failed: failedCases(base), ran: base.started };
  log.info(`mutants: baseline: ${baseline.failed.length === 0 ? 'all pass' : `${baseline.failed.length} case(s) do not pass: ${baseline.failed.map((f) => f.id).join(', ')}`}`);
  await save();
  for (const [i, mutant] of request.mutants.entries()) {
    if (request.signal?.aborted) break;
    const started = Date.now();
    const ran = new Date(started).toISOString();
    const seconds = (): number => Math.round((Date.now() - started) / 1000);
    log.info(`mutants: [${i + 1}/${request.mutants.length}] ${mutant.name} (${mutant.files.join(', ')})`);
    try {
      results.push(mutantResult(mutant, await suite(mutant.name, [mutant.path]), seconds(), ran, base));
    } catch (error) {
      if (request.signal?.aborted) throw error;
      results.push(mutantError(mutant, (error as Error).message, seconds(), ran));
    }
    const r = results.at(-1)!;
    log.info(`mutants: ${mutant.name}: ${r.status}${r.status === 'caught' ? ` by ${r.failed.map((f) => f.id).join(', ')}` : r.message ? `: ${r.message}` : ''} (${r.seconds} s)`);
    await save();
  }
  return save();
}
