// `vmaspec gate`: the suite on a base kernel and on the base with a change (a patch
// series, or a git range), then the comparison. Both kernels are built first (cached,
// the change incrementally in the base's working copy), so a patch that does not apply
// or build stops the gate before any boot.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Case } from '../cases/types.js';
import { buildKernel } from '../kernel/build.js';
import { buildKernelRequest, type KernelOptions } from '../kernel/request.js';
import { gitCommit } from '../kernel/source.js';
import type { SeriesPatch } from '../kernel/series.js';
import type { Logger } from '../log.js';
import type { ArchSpec } from '../qemu/arch.js';
import type { Reporter, RunReport } from '../report/types.js';
import { runSuite } from '../run.js';
import { run } from '../util/exec.js';
import { compareRuns, type GateComparison } from './compare.js';
import { splitMbox } from './series.js';

export const GATE_SCHEMA = 'vmaspec-gate/1';

/** What the gate compares: the base's kernel options and the change's series. */
export interface GateRequest {
  casesRoot: string;
  paths: string[];
  cases: Case[];
  spec: ArchSpec;
  /** The base kernel (Debian's source, a tree, or a git commit), without the change. */
  base: KernelOptions;
  /** The change: a series on top of the base (empty: base against itself). */
  series: SeriesPatch[];
  artifactsDir: string;
  log: Logger;
  /** Reporters of the change's run (terminal, …), called as its cases end. */
  reporters: Reporter[];
  signal?: AbortSignal;
  /** Guests side by side per run (runner/run.ts). */
  vms?: number;
  snapshots?: boolean;
}

/** The gate report (JSON, schema vmaspec-gate/1): both runs and the comparison. */
export interface GateReport {
  schema: typeof GATE_SCHEMA;
  base: RunReport;
  change: RunReport;
  /** The change's patches, as labels (their texts are in the artifacts folder). */
  series: string[];
  comparison: GateComparison;
}

/** The series of a git range `base..head` (`git format-patch`), split into its patches. */
export async function gitRangeSeries(repo: string, base: string, head: string, log: Logger): Promise<SeriesPatch[]> {
  const [b, h] = [await gitCommit(repo, base, log), await gitCommit(repo, head, log)];
  const mbox = await run('git', ['-C', repo, 'format-patch', '--stdout', '--no-signature', `${b}..${h}`], { log });
  return mbox.trim() === '' ? [] : splitMbox(mbox, `${base}..${head}`);
}

/** Builds both kernels, runs the suite on each, compares. */
export async function runGate(request: GateRequest): Promise<GateReport> {
  const { log, spec } = request;
  const seriesDir = join(request.artifactsDir, 'series');
  await mkdir(seriesDir, { recursive: true });
  // The series as files in the artifacts folder: what was applied, and how to apply it again.
  const patches = await Promise.all(
    request.series.map(async (p, i) => {
      // Named after where it came from, so that an error about it says which patch it is.
      const from = basename(p.label.replace(/ \[\d+\/\d+\].*$/, '')).replace(/\.(patch|diff|mbox)$/, '').replace(/[^A-Za-z0-9._-]+/g, '-');
      const file = join(seriesDir, `${String(i + 1).padStart(4, '0')}-${from}.patch`);
      await writeFile(file, p.text);
      return file;
    }),
  );
  const baseKernel = buildKernelRequest(request.base, spec);
  const changeKernel = buildKernelRequest({ ...request.base, patches: [...(request.base.patches ?? []), ...patches] }, spec);
  log.info(`gate: building the base kernel`);
  await buildKernel(baseKernel, log);
  log.info(`gate: building the changed kernel (${patches.length} patch${patches.length === 1 ? '' : 'es'})`);
  await buildKernel(changeKernel, log);
  const suite = (name: string, kernel: typeof baseKernel, reporters: Reporter[]): Promise<RunReport> =>
    runSuite({ casesRoot: request.casesRoot, paths: request.paths, kernel, spec, artifactsDir: join(request.artifactsDir, name), log, reporters, signal: request.signal, vms: request.vms, snapshots: request.snapshots }, request.cases);
  log.info(`gate: the suite on the base kernel`);
  const base = await suite('base', baseKernel, []);
  log.info(`gate: the suite on the changed kernel`);
  const change = await suite('change', changeKernel, request.reporters);
  return { schema: GATE_SCHEMA, base, change, series: request.series.map((p) => p.label), comparison: compareRuns(base, change) };
}
