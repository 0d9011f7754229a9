// `npm run bench`: the speed figures of docs/performance.md, measured in one run on this
// machine: one case from QEMU's start to its verdict (and where that time goes), the whole
// suite, the per-case cost in the guest, a cold and an incremental kernel build, and the
// naive baseline (`-M pc`, SeaBIOS, bzImage) booting the same case, as a ratio.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Case } from '../cases/types.js';
import { buildKernel, makeTarget } from '../kernel/build.js';
import { debianSource } from '../kernel/source.js';
import type { KernelRequest } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { loadArch, type ArchSpec } from '../qemu/arch.js';
import type { BootTiming } from '../qemu/timing.js';
import type { RunReport } from '../report/types.js';
import { runSuite } from '../run.js';
import { repeat, stat, type Stat } from './stats.js';

export const BENCH_SCHEMA = 'vmaspec-bench/1';

/** How many times each figure is measured. */
export interface BenchReps {
  oneCase: number;
  suite: number;
  incremental: number;
  cold: number;
  naive: number;
}

export const DEFAULT_REPS: BenchReps = { oneCase: 7, suite: 3, incremental: 3, cold: 1, naive: 5 };

export interface BenchResult {
  schema: typeof BENCH_SCHEMA;
  started: string;
  machine: { cpus: number; model: string; memoryGiB: number; accel: string; kernel: string };
  /** The case of the one-case figures. */
  oneCaseId: string;
  /** ms, QEMU spawned → the case judged. */
  oneCase: Stat;
  /** ms medians of the one-case boots: QEMU and kernel to /init, the kernel's own part, the case, power-off. */
  breakdown: { toInitMs: number; kernelToInitMs: number; casesMs: number; powerOffMs: number; judgeMs: number };
  /** ms, the whole suite with the kernel cached (runSuite, all cases). */
  suite: Stat;
  suiteCases: number;
  /** ms per case inside the guest: the boots' case time divided by the cases. */
  perCase: Stat;
  /** s, a kernel build from nothing (a new build dir), and after touching mm/madvise.c. */
  coldBuild: Stat;
  incrementalBuild: Stat;
  /** ms, QEMU spawned → verdict for the same case on `-M pc` + SeaBIOS + bzImage. */
  naive: Stat;
  /** naive median / oneCase median. */
  naiveRatio: number;
}

export interface BenchRequest {
  casesRoot: string;
  cases: Case[];
  oneCase: Case;
  spec: ArchSpec;
  kernel: KernelRequest;
  artifactsDir: string;
  reps: BenchReps;
  log: Logger;
}

const sum = (xs: (number | null)[]): number => xs.reduce<number>((a, x) => a + (x ?? 0), 0);
const med = (xs: number[]): number => stat(xs).median;

async function suiteRun(request: BenchRequest, name: string, cases: Case[], kernel: KernelRequest = request.kernel, spec: ArchSpec = request.spec): Promise<RunReport> {
  return runSuite({ casesRoot: request.casesRoot, paths: [], kernel, spec, artifactsDir: join(request.artifactsDir, name), log: request.log, reporters: [] }, cases);
}

function oneBoot(r: RunReport, what: string): BootTiming {
  const boot = r.boots?.[0];
  if (!boot || r.boots!.length !== 1 || r.summary.pass !== 1) throw new Error(`bench: ${what}: expected one boot and a passing case, got ${JSON.stringify(r.summary)}`);
  return boot;
}

/** A patch that adds a comment line at the end of mm/madvise.c (a new one each time). */
async function touchMadvise(request: BenchRequest, nonce: string): Promise<string> {
  const src = await debianSource('6.12', request.kernel.cacheDir, request.log);
  const lines = (await readFile(join(src.dir, 'mm/madvise.c'), 'utf8')).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const ctx = lines.slice(-3);
  const start = lines.length - ctx.length + 1;
  const diff = ['--- a/mm/madvise.c', '+++ b/mm/madvise.c', `@@ -${start},${ctx.length} +${start},${ctx.length + 1} @@`, ...ctx.map((l) => ` ${l}`), `+/* vmaspec bench ${nonce} */`, ''].join('\n');
  const file = join(request.artifactsDir, `touch-madvise-${nonce}.patch`);
  await writeFile(file, diff);
  return file;
}

/** What `work` returns, and how long it took in seconds (to 0.1 s). */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = performance.now();
  const value = await work();
  return { value, seconds: Math.round((performance.now() - t) / 100) / 10 };
}

export async function runBench(request: BenchRequest): Promise<BenchResult> {
  const { log, reps } = request;
  const started = new Date().toISOString();
  log.info('bench: the kernel (cached, or built now: not measured)');
  const built = await buildKernel(request.kernel, log);

  log.info(`bench: one case (${request.oneCase.id}), ${reps.oneCase} times`);
  const one: RunReport[] = [];
  const oneCase = await repeat(reps.oneCase, async (i) => {
    const r = await suiteRun(request, `one-${i + 1}`, [request.oneCase]);
    one.push(r);
    return oneBoot(r, 'one case').toVerdictMs ?? NaN;
  });
  const boots = one.map((r) => r.boots![0]!);
  const breakdown = {
    toInitMs: med(boots.map((b) => b.toInitMs ?? NaN)),
    kernelToInitMs: med(boots.map((b) => b.kernelToInitMs ?? NaN)),
    casesMs: med(boots.map((b) => b.casesMs ?? NaN)),
    powerOffMs: med(boots.map((b) => b.powerOffMs ?? NaN)),
    judgeMs: med(boots.map((b) => (b.toVerdictMs ?? NaN) - b.totalMs)),
  };

  log.info(`bench: the whole suite (${request.cases.length} cases), ${reps.suite} times`);
  const perCaseRuns: number[] = [];
  const suite = await repeat(reps.suite, async (i) => {
    const r = await suiteRun(request, `suite-${i + 1}`, request.cases);
    perCaseRuns.push(sum((r.boots ?? []).map((b) => b.casesMs)) / r.cases.length);
    return r.durationMs;
  });

  log.info(`bench: naive baseline (-M pc, SeaBIOS, bzImage), ${reps.naive} times`);
  const pc = await loadArch('x86_64-pc');
  const bzImage = await makeTarget(request.kernel, 'bzImage', pc.kernelImage, log);
  const imageRequest: KernelRequest = { ...request.kernel, source: { kind: 'image', image: bzImage, config: built.configPath } };
  const naive = await repeat(reps.naive, async (i) => oneBoot(await suiteRun(request, `naive-${i + 1}`, [request.oneCase], imageRequest, pc), 'naive baseline').toVerdictMs ?? NaN);

  log.info(`bench: incremental kernel build after touching mm/madvise.c, ${reps.incremental} times`);
  const nonce = Date.now().toString(36);
  const incrementalBuild = await repeat(reps.incremental, async (i) => {
    const patch = await touchMadvise(request, `${nonce}-${i}`);
    const kernel = { ...request.kernel, patches: [...request.kernel.patches, patch] };
    const { value, seconds } = await timed(() => buildKernel(kernel, log));
    await rm(join(request.kernel.cacheDir, 'builds', value.key), { recursive: true, force: true });
    return seconds;
  });

  log.info(`bench: cold kernel build (a new build dir), ${reps.cold} time(s)`);
  const coldBuild = await repeat(reps.cold, async (i) => {
    const fragment = join(request.artifactsDir, `cold-${nonce}-${i}.config`);
    await writeFile(fragment, `# vmaspec bench: a cold build (${nonce}-${i}); no options, a new build dir\n`);
    const kernel = { ...request.kernel, fragments: [...request.kernel.fragments, fragment] };
    const { value, seconds } = await timed(() => buildKernel(kernel, log));
    await rm(join(request.kernel.cacheDir, 'builds', value.key), { recursive: true, force: true });
    if (value.buildDir) await rm(value.buildDir, { recursive: true, force: true });
    return seconds;
  });

  const cpu = cpus();
  return {
    schema: BENCH_SCHEMA,
    started,
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), accel: one[0]?.accel ?? 'unknown', kernel: `${one[0]?.kernel.source} ${one[0]?.kernel.release}` },
    oneCaseId: request.oneCase.id,
    oneCase,
    breakdown,
    suite,
    suiteCases: request.cases.length,
    perCase: stat(perCaseRuns),
    coldBuild,
    incrementalBuild,
    naive,
    naiveRatio: Math.round((naive.median / oneCase.median) * 100) / 100,
  };
}
