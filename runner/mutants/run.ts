// `vmaspec mutants`: one working copy of the source (hard-linked), one
// persistent build dir; per mutant: patch → incremental `make vmlinux` → the
// whole suite → `patch -R`. The unpatched copy is run first (the baseline).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Case } from '../cases/types.js';
import { VmaspecError } from '../errors.js';
import { buildKernelRequest, type KernelOptions } from '../kernel/request.js';
import { debianSource } from '../kernel/source.js';
import type { Logger } from '../log.js';
import type { ArchSpec } from '../qemu/arch.js';
import type { RunReport } from '../report/types.js';
import { runSuite } from '../run.js';
import { run } from '../util/exec.js';
import { withLock } from '../util/lock.js';
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

/** The patch the working copy holds while a mutant is applied; reversed first if a run died. */
const APPLIED = 'applied.patch';

/** The working copy: `<cache>/src/mutants-<debian dir>/linux-source-<v>`, a hard-linked copy made once. */
async function workingCopy(cacheDir: string, log: Logger): Promise<{ root: string; tree: string }> {
  const base = await debianSource('6.12', cacheDir, log);
  const root = join(cacheDir, 'src', `mutants-${basename(dirname(base.dir))}`);
  const tree = join(root, basename(base.dir));
  if (!existsSync(tree)) {
    const partial = `${root}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    log.info(`mutants: linking a working copy of ${base.label} into ${root}`);
    // Hard links are safe: GNU patch writes each patched file anew (breaking the link).
    await run('cp', ['-al', base.dir, partial], { log });
    await rm(root, { recursive: true, force: true });
    await rename(partial, root);
  }
  return { root, tree };
}

async function applyPatch(tree: string, patch: string, reverse: boolean, log: Logger): Promise<void> {
  const args = ['-p1', '--batch', '--no-backup-if-mismatch', reverse ? '--reverse' : '--forward', '-i', patch];
  try {
    await run('patch', args, { cwd: tree, log });
  } catch (cause) {
    const output = (cause as { all?: string }).all ?? '';
    throw new VmaspecError('E_PATCH', `patch ${reverse ? '-R ' : ''}${patch} failed in ${tree}`, { cause, details: output.trimEnd().split('\n').slice(-10) });
  }
}

/** Runs the baseline and the mutants; writes the report after each; resolves to the merged report. */
export async function runMutants(request: MutantsRequest): Promise<MutantsReport> {
  const { log, spec } = request;
  const probe = buildKernelRequest(request.kernel, spec);
  const { root, tree } = await workingCopy(probe.cacheDir, log);
  const kernel = buildKernelRequest({ ...request.kernel, tree }, spec);
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
  const suite = async (name: string): Promise<RunReport> =>
    runSuite({ casesRoot: request.casesRoot, paths: [], kernel, spec, artifactsDir: join(request.artifactsDir, name), log, reporters: [], signal: request.signal }, request.cases);

  return withLock(root, 'mutants', log, async () => {
    const applied = join(root, APPLIED);
    if (existsSync(applied)) {
      log.info('mutants: reversing the mutant an earlier run left applied');
      await applyPatch(tree, applied, true, log);
      await rm(applied);
    }
    log.info(`mutants: baseline (the unpatched kernel), ${request.cases.length} case(s)`);
    const base = await suite('baseline');
    baseline = { kernel: `${base.kernel.source ?? 'tree'} ${base.kernel.release ?? ''}`.trim().replace(tree, 'mutants working copy of debian:6.12'), cases: base.cases.length, failed: failedCases(base), ran: base.started };
    log.info(`mutants: baseline: ${baseline.failed.length === 0 ? 'all pass' : `${baseline.failed.length} case(s) do not pass: ${baseline.failed.map((f) => f.id).join(', ')}`}`);
    await save();
    for (const [i, mutant] of request.mutants.entries()) {
      if (request.signal?.aborted) break;
      const started = Date.now();
      const ran = new Date(started).toISOString();
      const seconds = (): number => Math.round((Date.now() - started) / 1000);
      log.info(`mutants: [${i + 1}/${request.mutants.length}] ${mutant.name} (${mutant.files.join(', ')})`);
      await copyFile(mutant.path, applied);
      try {
        await applyPatch(tree, applied, false, log);
      } catch (error) {
        await rm(applied);
        results.push(mutantError(mutant, (error as Error).message, seconds(), ran));
        await save();
        continue;
      }
      try {
        results.push(mutantResult(mutant, await suite(mutant.name), seconds(), ran));
      } catch (error) {
        if (request.signal?.aborted) throw error;
        results.push(mutantError(mutant, (error as Error).message, seconds(), ran));
      } finally {
        // Reversing rewrites the files (a new mtime), so the next build recompiles them.
        await applyPatch(tree, applied, true, log);
        await rm(applied);
      }
      const r = results.at(-1)!;
      log.info(`mutants: ${mutant.name}: ${r.status}${r.status === 'caught' ? ` by ${r.failed.map((f) => f.id).join(', ')}` : r.message ? `: ${r.message}` : ''} (${r.seconds} s)`);
      await save();
    }
    return save();
  });
}
