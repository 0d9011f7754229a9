// `npm run bench`: the speed figures of docs/performance.md, measured in one run on this
// machine: one case from QEMU's start to its verdict, restored from the snapshot and
// booted (and where that time goes), the same from pressing enter (the README's command
// as it writes it), the whole suite as a command, the per-case cost in the guest, a cold
// and an incremental kernel build, and the naive baseline (`-M pc`, SeaBIOS, bzImage)
// booting the same case, as a ratio; and `vmaspec explore`'s sequences judged per second,
// by each oracle. With --cold-test, also the README's test command from a fresh clone of the
// checkout's HEAD with an empty vmaspec cache (every kernel built, ~15 min here).
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Case } from '../cases/types.js';
import { DEFAULT_BATCH, type ExploreReport } from '../explore/run.js';
import { buildKernel, makeTarget } from '../kernel/build.js';
import { debianSource } from '../kernel/source.js';
import { profileFragment } from '../kernel/request.js';
import type { Fragment, KernelRequest } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { loadArch, repoRoot, type ArchSpec } from '../qemu/arch.js';
import type { BootTiming } from '../qemu/timing.js';
import type { RunReport } from '../report/types.js';
import { runSuite } from '../run.js';
import { run, shellLine, tail } from '../util/exec.js';
import { repeat, stat, type Stat } from './stats.js';
import { measured } from './cpu.js';

export const BENCH_SCHEMA = 'vmaspec-bench/10';

/** The profile whose seeded build the bench times: the feature under test switched off (npm test runs the suite on Debian's prebuilt kernel without it instead). */
const BENCH_PROFILE = 'no-anon-vma-name';

/** How many times each figure is measured. */
export interface BenchReps {
  oneCase: number;
  suite: number;
  incremental: number;
  cold: number;
  naive: number;
  explore: number;
}

export const DEFAULT_REPS: BenchReps = { oneCase: 7, suite: 5, incremental: 3, cold: 1, naive: 5, explore: 1 };
/** The sequences of each bench explore run (seed 1, pristine kernel), by oracle: two batches of the model's, one of the differential oracle's (it runs every view on two guests). */
export const EXPLORE_BENCH_COUNT = { model: 2 * DEFAULT_BATCH, diff: DEFAULT_BATCH } as const;

/** One `vmaspec explore` run's speed: sequences judged (and, by the model, those it says nothing of), per second of its batches. */
export interface ExploreSpeed {
  sequences: number;
  unclaimed: number;
  perSecond: number;
}

/** Medians of the boots of one figure, ms: where the time between QEMU's start and the verdict goes. */
export interface Breakdown {
  /** QEMU spawned → its monitor answered (restores only; a boot has no monitor). */
  qemuMs: number;
  /** Spawned → parked: QEMU and the restore, or QEMU, firmware and the kernel's boot. */
  toReadyMs: number;
  /** The kernel's own clock at `Run /init` (boots only). */
  kernelToInitMs: number;
  /** Parked → the supervisor's header: the host hands the cases over. */
  handoverMs: number;
  /** Header → the last case's end record: unpacking the cases, running them. */
  casesMs: number;
  /** End record → QEMU exit. */
  powerOffMs: number;
  /** QEMU exit → verdict. */
  judgeMs: number;
}

export interface BenchResult {
  schema: typeof BENCH_SCHEMA;
  started: string;
  machine: { cpus: number; model: string; memoryGiB: number; accel: string; kernel: string };
  /** The case of the one-case figures. */
  oneCaseId: string;
  /** ms, QEMU spawned → the case judged, the guest restored from its snapshot (what `vmaspec run` does). */
  oneCase: Stat;
  oneCaseBreakdown: Breakdown;
  /** ms, the same runs from the command's start to its exit (what a person waits for after pressing enter). */
  oneCaseCommand: Stat;
  /** Medians of the same runs, ms: the command's own work before QEMU's spawn and after the verdict (commandHost). */
  oneCaseHost: HostTime;
  /** The command timed as typed: the README's (readmeCommand), e.g. `./vmaspec`. */
  command: string;
  /** ms, the same command with the command server running (docs/serve.md): a worker with the CLI loaded and a guest parked and warm. */
  oneCaseServed: Stat;
  /** ms, the whole suite as that command, through the command server. */
  suiteServed: Stat;
  /** ms, QEMU spawned → the case judged, the kernel booted every time (`--no-snapshot`). */
  oneCaseBoot: Stat;
  oneCaseBootBreakdown: Breakdown;
  /** ms, `vmaspec run` of the whole suite with the kernel cached: the command's start to its exit. */
  suite: Stat;
  suiteCases: number;
  /** ms per case inside the guest: the boots' case time divided by the cases. */
  perCase: Stat;
  /** s, a kernel build from nothing (a new build dir), and after touching mm/madvise.c. */
  coldBuild: Stat;
  /** core-s, the cores' busy time during each cold build (runner/bench/cpu.ts). */
  coldBuildCpu: Stat;
  /** A profile's kernel built in a new build dir seeded from the default configuration's (runner/kernel/seed.ts). */
  profileBuild: Stat;
  profileName: string;
  incrementalBuild: Stat;
  /** ms, QEMU spawned → verdict for the same case on `-M pc` + SeaBIOS + bzImage, booted. */
  naive: Stat;
  /** naive median / oneCase median. */
  naiveRatio: number;
  /** MiB, QEMU's peak resident memory of the one-case guests, restored and booted, and the guest's RAM. */
  peakRssRestored: Stat;
  peakRssBooted: Stat;
  guestRamMib: number;
  /** s, `npm test` from a fresh clone (its own `npm ci`) with an empty vmaspec cache, the Debian packages installed, and the cores' busy time meanwhile (core-s); null when not asked for (--cold-test). */
  coldTest: { seconds: Stat; coreSeconds: Stat; commit: string; failed: ColdTestFailure[] } | null;
  /** `vmaspec explore --count EXPLORE_BENCH_COUNT[oracle]` on the kernel: the model oracle (the default) and the differential one (the kernel against itself). */
  explore: { model: ExploreSpeed[]; diff: ExploreSpeed[]; perSecondModel: Stat; perSecondDiff: Stat };
}

export interface BenchRequest {
  casesRoot: string;
  cases: Case[];
  oneCase: Case;
  spec: ArchSpec;
  kernel: KernelRequest;
  /** The kernel options as `vmaspec` arguments, for the runs the bench times as commands. */
  kernelArgv: string[];
  artifactsDir: string;
  reps: BenchReps;
  log: Logger;
  /** The README's command (readmeCommand). */
  command: string[];
  /** Also time a cold `npm test` (coldTest). */
  coldTest: boolean;
}

/**
 * `npm test` as a new user's first run meets it: a fresh clone of the checkout's HEAD (what is
 * not committed is not in it), its npm dependencies installed by the test command's own set-up,
 * and an empty vmaspec cache (VMASPEC_CACHE): every kernel, helper and snapshot is made. The
 * Debian packages and npm's download cache are the machine's. Its output goes to cold-test.log.
 */
async function coldTest(request: BenchRequest, i: number): Promise<{ seconds: number; coreSeconds: number; commit: string; failed: ColdTestFailure | null }> {
  const dir = await mkdtemp(join(tmpdir(), 'vmaspec-cold-test-'));
  try {
    const clone = join(dir, 'vmaspec');
    await run('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone], { log: request.log });
    const commit = (await run('git', ['rev-parse', 'HEAD'], { log: request.log, cwd: clone })).trim();
    // The environment of a new shell: none of this process's own settings (VMASPEC_REPO_ROOT names this checkout).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VMASPEC_') && !k.startsWith('npm_')));
    const logFile = join(request.artifactsDir, `cold-test-${i + 1}.log`);
    await mkdir(request.artifactsDir, { recursive: true });
    await writeFile(logFile, '');
    const into = { file: logFile, append: true } as const;
    const { value: result, seconds, coreSeconds } = await measured(() =>
      execa('npm', ['test'], { cwd: clone, env: { ...env, VMASPEC_CACHE: join(dir, 'cache') }, extendEnv: false, stdin: 'ignore', stdout: into, stderr: into, reject: false }),
    );
    const failed = result.exitCode === 0 ? null : { exitCode: result.exitCode ?? -1, log: logFile };
    if (failed) request.log.info(`bench: the cold npm test exited ${failed.exitCode} (log: ${logFile}); the other figures are kept`);
    return { seconds, coreSeconds, commit, failed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A cold `npm test` that did not pass: its exit status and its output. */
export interface ColdTestFailure {
  exitCode: number;
  log: string;
}

/**
 * The vmaspec command as the README tells a person to type it, as words (`./vmaspec`, or
 * `npx vmaspec`): the first line of the block under its "The command line", up to ` run`.
 */
export function readmeCommand(readme: string): string[] {
  const first = /^## The command line\n[^]*?^```sh\n([^\n]*)/m.exec(readme)?.[1] ?? '';
  const words = first.replace(/#.*/, '').trim().split(/\s+/);
  const run = words.indexOf('run');
  if (run < 1) throw new Error('bench: README.md has no `<command> run` line first in the block under "## The command line"');
  return words.slice(0, run);
}

/** The bench's runs of vmaspec as commands: the README's command, run from the top of the checkout (as its examples are). */
async function typed(request: BenchRequest, args: string[], served = false): Promise<{ exitCode: number | undefined; all: string }> {
  const [file, ...first] = request.command;
  request.log.verbose(`$ ${shellLine(file!, [...first, ...args], repoRoot)}`);
  // Without the command server unless the figure is about it (docs/serve.md).
  const env = { VMASPEC_SERVE: served ? '' : '0' };
  const result = await execa(file!, [...first, ...args], { reject: false, cwd: repoRoot, all: true, env });
  return { exitCode: result.exitCode, all: result.all ?? '' };
}

const sum = (xs: (number | null)[]): number => xs.reduce<number>((a, x) => a + (x ?? 0), 0);
const med = (xs: number[]): number => stat(xs).median;

/** The cases run in-process on this kernel and machine; `snapshots: false` boots every guest (as a naive runner would). */
async function suiteRun(request: BenchRequest, name: string, cases: Case[], kernel: KernelRequest, spec: ArchSpec, snapshots: boolean): Promise<RunReport> {
  return runSuite({ casesRoot: request.casesRoot, paths: [], kernel, spec, artifactsDir: join(request.artifactsDir, name), log: request.log, reporters: [], snapshots }, cases);
}

/** `vmaspec run` as a person types it (a new process), timed from spawn to exit; its JSON report. */
async function commandRun(request: BenchRequest, name: string, args: string[], served = false): Promise<{ wallMs: number; report: RunReport }> {
  const dir = join(request.artifactsDir, name);
  const json = join(dir, 'report.json');
  const t = performance.now();
  const result = await typed(request, ['run', ...request.kernelArgv, '--artifacts', dir, '--json', json, ...args], served);
  const wallMs = Math.round(performance.now() - t);
  if (result.exitCode !== 0) throw new Error(`bench: ${name}: vmaspec run exited ${result.exitCode}:\n${tail(result.all, 15).join('\n')}`);
  return { wallMs, report: JSON.parse(await readFile(json, 'utf8')) as RunReport };
}

/** Waits until the command server's spare worker has a warm guest parked (docs/serve.md). */
async function parkedServer(request: BenchRequest): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const status = await typed(request, ['serve', '--status'], true);
    if (/parked: a guest of .*, warm/.test(status.all)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('bench: the command server parked no guest in 30 s');
}

/** The one case and the suite as the README's command with this checkout's command server running (started anew, stopped after). */
async function servedRuns(request: BenchRequest, one: string[], reps: BenchReps): Promise<{ oneCaseServed: Stat; suiteServed: Stat }> {
  await typed(request, ['serve', '--stop'], true);
  const started = await typed(request, ['serve'], true);
  if (started.exitCode !== 0) throw new Error(`bench: vmaspec serve exited ${started.exitCode}:\n${started.all}`);
  try {
    const timedRuns = async (name: string, args: string[], n: number): Promise<number[]> => {
      const walls: number[] = [];
      for (let i = 0; i < n; i++) {
        await parkedServer(request);
        const { wallMs, report } = await commandRun(request, `${name}-${i + 1}`, args, true);
        if (report.boots?.[0]?.start !== 'parked' && args.length > 0 && request.kernelArgv.length === 0) throw new Error(`bench: ${name}-${i + 1} did not run on the server's parked guest (${report.boots?.[0]?.start})`);
        walls.push(wallMs);
      }
      return walls;
    };
    return { oneCaseServed: stat(await timedRuns('one-served', one, reps.oneCase)), suiteServed: stat(await timedRuns('suite-served', [], reps.suite)) };
  } finally {
    await typed(request, ['serve', '--stop'], true);
  }
}

/** `vmaspec explore` as a command with the bench's kernel, its speed from its JSON report (a finding does not stop the bench: it is shrunk, outside the batches' time). */
async function exploreRun(request: BenchRequest, name: string, oracle: 'model' | 'diff'): Promise<ExploreSpeed> {
  const dir = join(request.artifactsDir, name);
  const json = join(dir, 'explore.json');
  const result = await typed(request, ['explore', ...request.kernelArgv, '--oracle', oracle, '--seed', '1', '--count', String(EXPLORE_BENCH_COUNT[oracle]), '--artifacts', dir, '--json', json]);
  if (result.exitCode !== 0 && result.exitCode !== 1) throw new Error(`bench: ${name}: vmaspec explore exited ${result.exitCode}:\n${tail(result.all, 15).join('\n')}`);
  const r = JSON.parse(await readFile(json, 'utf8')) as ExploreReport;
  return { sequences: r.sequences, unclaimed: r.unclaimed, perSecond: Math.round(r.perSecond * 100) / 100 };
}

function oneBoot(r: RunReport, what: string): BootTiming {
  const boot = r.boots?.[0];
  if (!boot || r.boots!.length !== 1 || r.summary.pass !== 1) throw new Error(`bench: ${what}: expected one boot and a passing case, got ${JSON.stringify(r.summary)}`);
  return boot;
}

/** The command's work around its one boot, ms: process start → QEMU spawned, and verdict → exit (the rest of the wall time). */
export interface HostTime {
  beforeMs: number;
  afterMs: number;
}

/** Medians of the host's part of one-case commands: their wall time, start to exit, and their boot's timing. */
export function commandHost(runs: readonly { wallMs: number; boot: BootTiming }[]): HostTime {
  return {
    beforeMs: med(runs.map((r) => r.boot.spawnedAtMs)),
    afterMs: med(runs.map((r) => (r.boot.toVerdictMs === null ? NaN : r.wallMs - r.boot.spawnedAtMs - r.boot.toVerdictMs))),
  };
}

/** Medians of each stage over these boots. */
export function breakdown(boots: BootTiming[]): Breakdown {
  const m = (f: (b: BootTiming) => number | null): number => med(boots.map((b) => f(b) ?? NaN));
  return {
    qemuMs: m((b) => b.monitorMs),
    toReadyMs: m((b) => b.toReadyMs),
    kernelToInitMs: m((b) => b.kernelToInitMs),
    handoverMs: m((b) => (b.toInitMs === null || b.toReadyMs === null ? null : b.toInitMs - b.toReadyMs)),
    casesMs: m((b) => b.casesMs),
    powerOffMs: m((b) => b.powerOffMs),
    judgeMs: m((b) => (b.toVerdictMs === null ? null : b.toVerdictMs - b.totalMs)),
  };
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

export async function runBench(request: BenchRequest): Promise<BenchResult> {
  const { log, reps } = request;
  const started = new Date().toISOString();
  log.info('bench: the kernel (cached, or built now: not measured)');
  const built = await buildKernel(request.kernel, log);

  const one = [resolve(repoRoot, request.oneCase.file)];
  log.info('bench: the snapshot of the booted guest (saved now if missing: not measured)');
  await commandRun(request, 'warm-up', one);

  /** The one case `reps.oneCase` times in a row as a command: each run's wall time, report and boot. */
  const oneCaseRuns = async (name: string, args: string[]): Promise<{ wallMs: number; report: RunReport; boot: BootTiming }[]> => {
    const runs = [];
    for (let i = 0; i < reps.oneCase; i++) {
      const run = await commandRun(request, `${name}-${i + 1}`, args);
      runs.push({ ...run, boot: oneBoot(run.report, `${name}-${i + 1}`) });
    }
    return runs;
  };
  log.info(`bench: one case (${request.oneCase.id}), restored from the snapshot, ${reps.oneCase} times`);
  const restored = await oneCaseRuns('one', one);
  log.info(`bench: one case, the kernel booted (--no-snapshot), ${reps.oneCase} times`);
  const booted = await oneCaseRuns('one-boot', ['--no-snapshot', ...one]);
  const oneCase = stat(restored.map((r) => r.boot.toVerdictMs ?? NaN));

  log.info(`bench: the whole suite (${request.cases.length} cases), ${reps.suite} times`);
  const perCaseRuns: number[] = [];
  const suite = await repeat(reps.suite, async (i) => {
    const { wallMs, report } = await commandRun(request, `suite-${i + 1}`, []);
    perCaseRuns.push(sum((report.boots ?? []).map((b) => b.casesMs)) / report.cases.length);
    return wallMs;
  });

  log.info(`bench: one case and the whole suite through the command server (./vmaspec serve), ${reps.oneCase} and ${reps.suite} times`);
  const { oneCaseServed, suiteServed } = await servedRuns(request, one, reps);

  log.info(`bench: vmaspec explore, ${EXPLORE_BENCH_COUNT.model} sequences by the model and ${EXPLORE_BENCH_COUNT.diff} by the difference, ${reps.explore} time(s) each`);
  const model: ExploreSpeed[] = [];
  const diff: ExploreSpeed[] = [];
  for (let i = 0; i < reps.explore; i++) {
    model.push(await exploreRun(request, `explore-model-${i + 1}`, 'model'));
    diff.push(await exploreRun(request, `explore-diff-${i + 1}`, 'diff'));
  }

  log.info(`bench: naive baseline (-M pc, SeaBIOS, bzImage), ${reps.naive} times`);
  const pc = await loadArch('x86_64-pc');
  const bzImage = await makeTarget(request.kernel, 'bzImage', pc.kernelImage, log);
  const imageRequest: KernelRequest = { ...request.kernel, machine: pc, source: { kind: 'image', image: bzImage, config: built.configPath } };
  const naive = await repeat(reps.naive, async (i) => oneBoot(await suiteRun(request, `naive-${i + 1}`, [request.oneCase], imageRequest, pc, false), 'naive baseline').toVerdictMs ?? NaN);

  log.info(`bench: incremental kernel build after touching mm/madvise.c, ${reps.incremental} times`);
  const nonce = Date.now().toString(36);
  const incrementalBuild = await repeat(reps.incremental, async (i) => {
    const patch = await touchMadvise(request, `${nonce}-${i}`);
    const kernel = { ...request.kernel, patches: [...request.kernel.patches, patch] };
    const { value, seconds } = await measured(() => buildKernel(kernel, log));
    await rm(join(request.kernel.cacheDir, 'builds', value.key), { recursive: true, force: true });
    return seconds;
  });

  /** A kernel in a configuration never built (a fragment of its own besides `extra`), timed, then removed with its build dir. */
  const newConfigBuild = async (what: string, i: number, extra: string[], seed: boolean): Promise<{ seconds: number; coreSeconds: number }> => {
    const fragment = join(request.artifactsDir, `${what}-${nonce}-${i}.config`);
    await writeFile(fragment, `# vmaspec bench: ${what} (${nonce}-${i}); no options, a new build dir\n`);
    const fragments = [...request.kernel.fragments, ...[...extra, fragment].map((path): Fragment => ({ path, role: 'need' }))];
    const { value, seconds, coreSeconds } = await measured(() => buildKernel({ ...request.kernel, fragments, seed }, log));
    await rm(join(request.kernel.cacheDir, 'builds', value.key), { recursive: true, force: true });
    if (value.buildDir) await rm(value.buildDir, { recursive: true, force: true });
    return { seconds, coreSeconds };
  };
  log.info(`bench: cold kernel build (a new build dir, from scratch), ${reps.cold} time(s)`);
  const coldBuilds: { seconds: number; coreSeconds: number }[] = [];
  for (let i = 0; i < reps.cold; i++) coldBuilds.push(await newConfigBuild('cold', i, [], false));
  log.info(`bench: profile kernel build (--profile ${BENCH_PROFILE}: a new build dir seeded from the default's), ${reps.cold} time(s)`);
  const profileBuild = await repeat(reps.cold, async (i) => (await newConfigBuild('profile', i, [profileFragment(BENCH_PROFILE)], true)).seconds);

  let cold: BenchResult['coldTest'] = null;
  if (request.coldTest) {
    log.info(`bench: a cold npm test (a fresh clone, an empty cache: every kernel built), ${reps.cold} time(s)`);
    const runs: Awaited<ReturnType<typeof coldTest>>[] = [];
    for (let i = 0; i < reps.cold; i++) runs.push(await coldTest(request, i));
    cold = { seconds: stat(runs.map((r) => r.seconds)), coreSeconds: stat(runs.map((r) => r.coreSeconds)), commit: runs[0]?.commit ?? '', failed: runs.flatMap((r) => (r.failed ? [r.failed] : [])) };
  }

  const cpu = cpus();
  return {
    schema: BENCH_SCHEMA,
    started,
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), accel: restored[0]?.report.accel ?? 'unknown', kernel: `${restored[0]?.report.kernel.source} ${restored[0]?.report.kernel.release}` },
    oneCaseId: request.oneCase.id,
    oneCase,
    oneCaseBreakdown: breakdown(restored.map((r) => r.boot)),
    oneCaseHost: commandHost(restored),
    oneCaseCommand: stat(restored.map((r) => r.wallMs)),
    command: request.command.join(' '),
    oneCaseServed,
    suiteServed,
    oneCaseBoot: stat(booted.map((r) => r.boot.toVerdictMs ?? NaN)),
    oneCaseBootBreakdown: breakdown(booted.map((r) => r.boot)),
    suite,
    suiteCases: request.cases.length,
    perCase: stat(perCaseRuns),
    coldBuild: stat(coldBuilds.map((b) => b.seconds)),
    coldBuildCpu: stat(coldBuilds.map((b) => b.coreSeconds)),
    profileBuild,
    profileName: BENCH_PROFILE,
    incrementalBuild,
    naive,
    naiveRatio: Math.round((naive.median / oneCase.median) * 100) / 100,
    peakRssRestored: stat(restored.map((r) => r.boot.peakRssMib ?? NaN)),
    peakRssBooted: stat(booted.map((r) => r.boot.peakRssMib ?? NaN)),
    guestRamMib: request.spec.memoryMib,
    coldTest: cold,
    explore: { model, diff, perSecondModel: stat(model.map((x) => x.perSecond)), perSecondDiff: stat(diff.map((x) => x.perSecond)) },
  };
}
