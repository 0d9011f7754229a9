// `vmaspec gate`: the suite on a base kernel and on the base with a change (a patch
// series, or a git range), then the comparison. Both kernels are built first (cached,
// the change incrementally in the base's working copy), so a patch that does not apply
// or build stops the gate before any boot.
import type { ExploreReport } from '../explore/run.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Case } from '../cases/types.js';
import { buildKernel } from '../kernel/build.js';
import { buildKernelRequest, type KernelOptions } from '../kernel/request.js';
import type { BuiltKernel, KernelRequest } from '../kernel/types.js';
import { gitCommit } from '../kernel/source.js';
import type { SeriesPatch } from '../kernel/series.js';
import type { Logger } from '../log.js';
import type { Reporter, RunReport } from '../report/types.js';
import { runSuite, type GuestRunOptions } from '../run.js';
import { run } from '../util/exec.js';
import { compareRuns, type GateComparison } from './compare.js';
import { splitMbox } from './series.js';

export const GATE_SCHEMA = 'vmaspec-gate/1';

/** What the gate compares: the base's kernel options and the change's series. */
export interface GateRequest extends GuestRunOptions {
  casesRoot: string;
  paths: string[];
  cases: Case[];
  /** The base kernel (Debian's source, a tree, or a git commit), without the change. */
  base: KernelOptions;
  /** The change: a series on top of the base (empty: base against itself). */
  series: SeriesPatch[];
  /** Reporters of the change's run (terminal, …), called as its cases end. */
  reporters: Reporter[];
}

/** The gate report (JSON, schema vmaspec-gate/1): both runs and the comparison. */
export interface GateReport {
  schema: typeof GATE_SCHEMA;
  base: RunReport;
  change: RunReport;
  /** The change's patches, as labels (their texts are in the artifacts folder). */
  series: string[];
  comparison: GateComparison;
  /** `gate --explore N`: the generated sequences run on both kernels (written once they have run; the report is written without it first). */
  explore?: ExploreReport;
}

/** The series of a git range `base..head` (`git format-patch`), split into its patches. */
export async function gitRangeSeries(repo: string, base: string, head: string, log: Logger): Promise<SeriesPatch[]> {
  const [b, h] = [await gitCommit(repo, base, log), await gitCommit(repo, head, log)];
  const mbox = await run('git', ['-C', repo, 'format-patch', '--stdout', '--no-signature', `${b}..${h}`], { log });
  return mbox.trim() === '' ? [] : splitMbox(mbox, `${base}..${head}`);
}

/** What the gate's kernels need: the base's options, the series, and where the series' files go. */
export type GateKernelsRequest = Pick<GateRequest, 'spec' | 'base' | 'series' | 'artifactsDir' | 'log'>;

/** One kernel of the gate: the request (for the run) and the kernel built. */
export interface GateKernel {
  request: KernelRequest;
  kernel: BuiltKernel;
}

/**
 * Builds (or finds in the cache) the base kernel and the changed one, before any boot: a patch
 * that does not apply or build stops the gate here. The series goes into the artifacts folder
 * as files: what was applied, and how to apply it again. `gate --build-only` stops after this.
 */
export async function buildGateKernels(request: GateKernelsRequest): Promise<{ base: GateKernel; change: GateKernel }> {
  const { log, spec } = request;
  const seriesDir = join(request.artifactsDir, 'series');
  await mkdir(seriesDir, { recursive: true });
  const patches = await Promise.all(
    request.series.map(async (p, i) => {
      // Named after where it came from, so that an error about it says which patch it is.
      const from = basename(p.label.replace(/ \[\d+\/\d+\].*$/, '')).replace(/\.(patch|diff|mbox)$/, '').replace(/[^A-Za-z0-9._-]+/g, '-');
      const file = join(seriesDir, `${String(i + 1).padStart(4, '0')}-${from}.patch`);
      await writeFile(file, p.text);
      return file;
    }),
  );
  const baseRequest = buildKernelRequest(request.base, spec);
  const changeRequest = buildKernelRequest({ ...request.base, patches: [...(request.base.patches ?? []), ...patches] }, spec);
  log.info(`gate: building the base kernel`);
  const base = await buildKernel(baseRequest, log);
  log.info(`gate: building the changed kernel (${patches.length} patch${patches.length === 1 ? '' : 'es'})`);
  const change = await buildKernel(changeRequest, log);
  return { base: { request: baseRequest, kernel: base }, change: { request: changeRequest, kernel: change } };
}

/** Builds both kernels, runs the suite on each, compares. */
export async function runGate(request: GateRequest): Promise<GateReport> {
  const { log, spec } = request;
  const kernels = await buildGateKernels(request);
  const suite = (name: string, kernel: KernelRequest, reporters: Reporter[]): Promise<RunReport> =>
    runSuite({ casesRoot: request.casesRoot, paths: request.paths, kernel, spec, artifactsDir: join(request.artifactsDir, name), log, reporters, signal: request.signal, vms: request.vms, snapshots: request.snapshots }, request.cases);
  log.info(`gate: the suite on the base kernel`);
  const base = await suite('base', kernels.base.request, []);
  log.info(`gate: the suite on the changed kernel`);
  const change = await suite('change', kernels.change.request, request.reporters);
  return { schema: GATE_SCHEMA, base, change, series: request.series.map((p) => p.label), comparison: compareRuns(base, change) };
}
