// The `vmaspec` command line: parse arguments, run a stage, map errors to exit codes.
import { mkdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CaseError } from './cases/diagnostics.js';
import { EXIT, VmaspecError } from './errors.js';
import { onStopSignals, signalExit, type StopSignal } from './util/signals.js';
import { stopCommands } from './util/exec.js';
import { buildKernel, kernelKey } from './kernel/build.js';
import { buildKernelRequest, type KernelOptions } from './kernel/request.js';
import { createLogger, type Logger } from './log.js';
import { loadArch, repoRoot, type ArchSpec } from './qemu/arch.js';
import { preflightQemu } from './qemu/tools.js';
import { jsonReporter } from './report/json.js';
import { formatCase, formatSummary, terminalReporter } from './report/terminal.js';
import { junitReporter } from './report/junit.js';
import { ktapReporter } from './report/ktap.js';
import { gatePage, htmlReporter, matrixPage, writeHtml } from './report/html.js';
import { mergeReports, parseShard, readReports, selectShard } from './report/shard.js';
import type { Reporter, RunReport } from './report/types.js';
import type { Case } from './cases/types.js';
import { formatComparison } from './gate/compare.js';
import { gateVerdicts } from './gate/verdicts.js';
import { mergeGates } from './gate/merge.js';
import { buildGateKernels, GATE_SCHEMA, gitRangeSeries, runGate, type GateReport } from './gate/run.js';
import { readChangeSeries } from './gate/series.js';
import { DEFAULT_REPS, readmeCommand, runBench } from './bench/bench.js';
import { renderPerformance } from './bench/render.js';
import { parseKernelSpec, type NamedKernel } from './kernel/spec.js';
import { formatMatrix, matrixPassed } from './matrix/matrix.js';
import { artifactName, runMatrix } from './matrix/run.js';
import { artifactsFolder, loadSuite, runSuite } from './run.js';
import { parseCache, type ParseCache } from './cases/parse-cache.js';
import { cacheDirOf } from './kernel/cache.js';
import { loadKnownSplats } from './health/allowlist.js';
import { caseSchemaText, SCHEMA_FILE } from './schema/case-schema.js';
import { DOCS_PAGE, withKeyTables } from './schema/docs-tables.js';
import { loadMutants } from './mutants/patches.js';
import { runMutants } from './mutants/run.js';
import { COVERAGE_FILE, renderCoverage, repoCoverage } from './coverage/coverage.js';
import { DEFAULT_BATCH, DEFAULT_SHRINK_MS, formatExplore, runExplore, type ExploreReport, type ExploreRequest } from './explore/run.js';
import { MODEL_SERIES, modelKernel } from './model/kernel.js';
import { referenceModel } from './model/oracle.js';
import { commandHelp, mainHelp, parseCommandLine, useColor, type Values } from './cli/flags.js';
import { askDaemon, runDaemon, servePaths } from './serve/daemon.js';
import { parkDefaultGuest } from './serve/park.js';
import { compileClient, LAUNCHER, startDaemon } from './serve/start.js';
import { serveWorker } from './serve/worker.js';

/** The kernel options of the command line. */
function kernelOptions(values: Values): KernelOptions {
  const jobs = values['make-jobs'] === undefined ? undefined : Number(values['make-jobs']);
  return {
    patches: values.patch,
    tree: values['kernel-tree'],
    build: values['kernel-build'],
    inBuildDir: values['in-build-dir'],
    image: values['kernel-image'],
    config: values['kernel-config'],
    kconfig: values.kconfig,
    profiles: values.profile,
    cacheDir: values['cache-dir'],
    jobs,
  };
}

/** The kernel options given, as arguments again (the bench runs `vmaspec run` with them). */
function kernelArgv(values: Values): string[] {
  const flag = (name: string, value: string | undefined): string[] => (value === undefined ? [] : [`--${name}`, value]);
  return [
    ...values.kernel.flatMap((k) => flag('kernel', k)),
    ...values.patch.flatMap((p) => flag('patch', p)),
    ...values.kconfig.flatMap((k) => flag('kconfig', k)),
    ...values.profile.flatMap((p) => flag('profile', p)),
    ...flag('kernel-tree', values['kernel-tree']),
    ...flag('kernel-build', values['kernel-build']),
    ...(values['in-build-dir'] ? ['--in-build-dir'] : []),
    ...flag('kernel-image', values['kernel-image']),
    ...flag('kernel-config', values['kernel-config']),
    ...flag('cache-dir', values['cache-dir']),
    ...flag('arch', values.arch),
  ];
}

/** The kernel options of one `--kernel SPEC`, with the shared ones (patches, profiles, cache …); it replaces --kernel-tree/--kernel-image. */
function singleKernel(values: Values, named: NamedKernel): KernelOptions {
  if (values['kernel-tree'] || values['kernel-image']) throw new VmaspecError('E_USAGE', '--kernel replaces --kernel-tree and --kernel-image (write tree:PATH or image:PATH)');
  return { ...kernelOptions(values), ...named.options };
}

/** The kernel of a command that takes one: `--kernel SPEC`, else the kernel flags (Debian's 6.12 by default). */
function oneKernel(values: Values, command: string): KernelOptions {
  if (values.kernel.length > 1) throw new VmaspecError('E_USAGE', `${command} takes one --kernel`);
  return values.kernel[0] === undefined ? kernelOptions(values) : singleKernel(values, parseKernelSpec(values.kernel[0]));
}

/** How guests start: how many side by side (--jobs), and whether from a snapshot (--no-snapshot). */
function guestOptions(values: Values): { vms?: number; snapshots: boolean } {
  const snapshots = !values['no-snapshot'];
  if (values.jobs === undefined) return { snapshots };
  const n = Number(values.jobs);
  if (!Number.isInteger(n) || n < 1) throw new VmaspecError('E_USAGE', `--jobs: expected a positive integer, got "${values.jobs}"`);
  return { vms: n, snapshots };
}

/** The guest architecture of a command that boots guests: QEMU, setpriv and TMPDIR are checked before any kernel work. */
async function guestArch(arch: string): Promise<ArchSpec> {
  const spec = await loadArch(arch);
  await preflightQemu(spec);
  return spec;
}

/**
 * The architecture of `run`: a guest's, checked as guestArch does, unless every kernel is the
 * running one (`--kernel host`), which boots no guest: no QEMU, KVM or snapshot checks then.
 */
async function runArch(values: Values, kernels: NamedKernel[]): Promise<ArchSpec> {
  if (kernels.length === 0 || kernels.some((k) => !k.options.host)) return guestArch(values.arch);
  if (values['no-snapshot']) throw new VmaspecError('E_USAGE', '--no-snapshot: --kernel host boots no guest');
  return loadArch(values.arch);
}

/** The gate's regression table, each side named by its kernel. */
const gateTable = (gate: GateReport): string => formatComparison(gate.comparison, `${gate.base.kernel.source} ${gate.base.kernel.release}`, `${gate.change.kernel.source} ${gate.change.kernel.release}`);

/** True when every case passed or was skipped. */
const allPassed = (r: RunReport): boolean => r.summary.pass + r.summary.skip === r.summary.total;

/** The cases the paths name, or this shard of them. */
async function selectedCases(casesRoot: string, paths: string[], values: Values, parsed: ParseCache | undefined): Promise<Case[]> {
  const cases = await loadSuite(casesRoot, paths, parsed);
  return values.shard === undefined ? cases : selectShard(cases, parseShard(values.shard));
}

/** JSON, KTAP and JUnit reporters: into the artifacts folder always, and where --json/--ktap/--junit say. */
function machineReporters(values: Values, artifactsDir: string | null): Reporter[] {
  const own = artifactsDir ? [ktapReporter(join(artifactsDir, 'report.ktap')), junitReporter(join(artifactsDir, 'report.xml'))] : [];
  return [
    ...own,
    ...(values.json ? [jsonReporter(resolve(values.json))] : []),
    ...(values.ktap ? [ktapReporter(resolve(values.ktap))] : []),
    ...(values.junit ? [junitReporter(resolve(values.junit))] : []),
  ];
}

/** Where the HTML page goes: report.html in the artifacts folder, and where --html says. */
const htmlFiles = (values: Values, artifactsDir: string | null): string[] => [...(artifactsDir ? [join(artifactsDir, 'report.html')] : []), ...(values.html ? [resolve(values.html)] : [])];

/** The machine-readable reporters and the HTML page of a run. */
function fileReporters(values: Values, artifactsDir: string | null): Reporter[] {
  const html = htmlFiles(values, artifactsDir);
  return [...machineReporters(values, artifactsDir), ...(html.length > 0 ? [htmlReporter(html)] : [])];
}

/** The gate's JSON (vmaspec-gate/1), its page, and, from its verdicts, KTAP and JUnit; in the artifacts folder and where asked. */
async function writeGateReports(gate: GateReport, verdicts: RunReport, values: Values, artifactsDir: string | null): Promise<void> {
  const json = `${JSON.stringify(gate, null, 2)}\n`;
  if (artifactsDir) await writeFile(join(artifactsDir, 'gate.json'), json);
  if (values.json) await writeFile(resolve(values.json), json);
  await writeHtml(htmlFiles(values, artifactsDir), gatePage(gate));
  for (const r of machineReporters({ ...values, json: undefined }, artifactsDir)) await r.onRunDone?.(verdicts);
}

/** A whole number flag (--count, --seed, --explore); `min` the least allowed. */
function intFlag(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new VmaspecError('E_USAGE', `--${name}: expected an integer of at least ${min}, got "${text}"`);
  return n;
}

/** --time: seconds, or a number with s, m or h. */
function durationFlag(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!m) throw new VmaspecError('E_USAGE', `--time: expected a duration such as 90s, 10m or 1h, got "${text}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] * 1000;
}

/** The seed of an exploration: --seed, or one drawn now (printed, so the run can be repeated). */
const exploreSeed = (values: Values): number => (values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : intFlag('seed', values.seed, -(2 ** 31)));

/** What an exploration needs besides its kernels and counts, from the command line. */
function exploreBase(values: Values, artifactsDir: string, log: Logger, signal: AbortSignal): Omit<ExploreRequest, 'base' | 'change' | 'model' | 'spec' | 'count' | 'timeMs'> {
  return { seed: exploreSeed(values), shard: values.shard === undefined ? null : parseShard(values.shard), batch: DEFAULT_BATCH, artifactsDir, log, reporters: [], signal, maxFindings: 1, shrinkMs: DEFAULT_SHRINK_MS, ...guestOptions(values) };
}

/** --oracle: what judges explore's sequences. */
function exploreOracle(text: string): 'model' | 'diff' {
  if (text === 'model' || text === 'diff') return text;
  throw new VmaspecError('E_USAGE', `--oracle: expected model or diff, got "${text}"`);
}

/** Writes the explore report where --json says and prints its summary. */
async function exploreDone(r: ExploreReport, values: Values): Promise<void> {
  if (values.json) await writeFile(resolve(values.json), `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(`\n${formatExplore(r)}`);
}

function report(error: unknown, log: Logger, interrupted: number = EXIT.interrupted): number {
  log.done();
  if (error instanceof CaseError) {
    process.stderr.write(`${error.message}\n`);
    return EXIT.couldNotRun;
  }
  if (error instanceof VmaspecError) {
    process.stderr.write(`vmaspec: ${error.code}: ${error.message}\n${error.details.map((d) => `  ${d}\n`).join('')}`);
    if (error.code === 'E_USAGE' && !error.message.includes('--help')) process.stderr.write(`run "vmaspec --help" for the commands, "vmaspec <command> --help" for a command's options\n`);
    return error.code === 'E_INTERRUPTED' ? interrupted : EXIT.couldNotRun;
  }
  process.stderr.write(`vmaspec: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.couldNotRun;
}

/** Runs the CLI; resolves to the exit code. `code`: the content hash of the bundle it runs from (runner/bin/vmaspec.js), which keys what is kept of its work. */
/** A spare worker of the command server (runner/serve/worker.ts): `main` for the one command it is handed, a guest of `run`'s default kernel parked meanwhile. */
export function serveWorkerMain(code?: string): void {
  const log = createLogger({ verbose: false });
  const park = async (): Promise<string> => {
    const { values } = parseCommandLine(['run']);
    return parkDefaultGuest(buildKernelRequest(oneKernel(values, 'run'), await runArch(values, [])), join(repoRoot, 'cases'), log);
  };
  serveWorker((argv) => main(argv, code), park);
}

/** The command server's daemon (runner/serve/daemon.ts) of this checkout, with the client `./vmaspec` runs compiled first. */
export async function serveDaemonMain(currentBundle: () => Promise<string>): Promise<number> {
  const log = createLogger({ verbose: false });
  const cacheDir = cacheDirOf(undefined);
  const served = servePaths(cacheDir, repoRoot);
  mkdirSync(served.dir, { recursive: true });
  await compileClient(served.dir, log).catch((error: unknown) => log.info(`serve: the client did not compile (${error instanceof Error ? error.message : String(error)}); ./vmaspec starts node directly`));
  return runDaemon({ root: repoRoot, cacheDir, launcher: LAUNCHER, currentBundle });
}

export async function main(argv: string[], code?: string): Promise<number> {
  let log = createLogger({ verbose: argv.includes('-v') || argv.includes('--verbose') });
  const abort = new AbortController();
  // SIGINT (Ctrl-C), SIGTERM and SIGHUP cancel the run; it exits with 128 + the signal's number.
  let stopped: StopSignal = 'SIGINT';
  const offSignals = onStopSignals((signal) => {
    stopped = signal;
    log.info(`vmaspec: ${signal}: stopping QEMU and keeping the partial report`);
    abort.abort();
    stopCommands();
  });
  const interrupted = (): number => signalExit(stopped);
  try {
    const { command, paths, values } = parseCommandLine(argv);
    log = createLogger({ verbose: values.verbose });
    if (values.help || command === null) {
      process.stdout.write(`${command === null ? mainHelp() : commandHelp(command)}\n`);
      return command === null && !values.help ? EXIT.couldNotRun : EXIT.ok;
    }
    const casesRoot = join(repoRoot, 'cases');
    // Parsed cases are kept only for a known build of this code (the bundle's hash): under tsx nothing is.
    const parsed = code ? parseCache(join(cacheDirOf(values['cache-dir']), 'cases'), code) : undefined;
    switch (command) {
      case 'check': {
        const cases = await loadSuite(casesRoot, paths, parsed);
        const known = await loadKnownSplats(join(repoRoot, 'known-splats.yaml'), 'known-splats.yaml');
        process.stdout.write(`${cases.length} case(s) valid; known-splats.yaml: ${known.length} entr${known.length === 1 ? 'y' : 'ies'} valid\n`);
        return EXIT.ok;
      }
      case 'coverage': {
        if (paths.length > 0) throw new VmaspecError('E_USAGE', 'coverage takes no arguments');
        const cov = await repoCoverage(repoRoot);
        const out = join(repoRoot, COVERAGE_FILE);
        await writeFile(out, renderCoverage(cov));
        process.stdout.write(`${out}: ${cov.facts.length - cov.uncovered.length}/${cov.facts.length} keys covered; uncovered: ${cov.uncovered.map((u) => u.fact.key).join(' ') || 'none'}\n`);
        for (const u of cov.unknown) process.stderr.write(`vmaspec: key ${u.key} is not in docs/kernel-behaviour.md, cited by ${u.cases.join(', ')}\n`);
        return cov.unknown.length > 0 || cov.staleReasons.length > 0 ? EXIT.couldNotRun : EXIT.ok;
      }
      case 'schema': {
        if (paths.length > 0) throw new VmaspecError('E_USAGE', 'schema takes no arguments');
        const out = join(repoRoot, SCHEMA_FILE);
        await mkdir(dirname(out), { recursive: true });
        await writeFile(out, caseSchemaText());
        const page = join(repoRoot, DOCS_PAGE);
        await writeFile(page, withKeyTables(await readFile(page, 'utf8')));
        process.stdout.write(`${out}\n${page}\n`);
        return EXIT.ok;
      }
      case 'kernel build': {
        const spec = await loadArch(values.arch);
        const kernel = await buildKernel(buildKernelRequest(oneKernel(values, command), spec), log);
        process.stdout.write(`${kernel.image}\n`);
        log.info(`kernel: ${kernel.label} ${kernel.release}${kernel.cached ? ' (cached)' : ''}; config ${kernel.configPath}`);
        return EXIT.ok;
      }
      case 'serve': {
        if (paths.length > 0) throw new VmaspecError('E_USAGE', 'serve takes no arguments');
        const cacheDir = cacheDirOf(values['cache-dir']);
        const served = servePaths(cacheDir, repoRoot);
        if (values.stop || values.status) {
          const answer = await askDaemon(served.socket, ['serve', values.stop ? '--stop' : '--status']);
          process.stdout.write(answer?.out ?? `vmaspec: no command server runs for ${repoRoot}\n`);
          return answer || values.stop ? EXIT.ok : EXIT.couldNotRun;
        }
        const answer = (await askDaemon(served.socket, ['serve', '--status'])) ?? (await startDaemon(cacheDir, served));
        if (!answer) throw new VmaspecError('E_SERVE', `the command server did not start (its log: ${served.log})`);
        process.stdout.write(answer.out);
        return EXIT.ok;
      }
      case 'kernel key': {
        const spec = await loadArch(values.arch);
        process.stdout.write(`${await kernelKey(buildKernelRequest(oneKernel(values, command), spec), log)}\n`);
        return EXIT.ok;
      }
      case 'run': {
        const cases = await selectedCases(casesRoot, paths, values, parsed); // validate before anything is built
        const kernels = values.kernel.map(parseKernelSpec);
        const spec = await runArch(values, kernels);
        if (values.kernel.length > 1) {
          const base = artifactsFolder(resolve(values.artifacts ?? 'artifacts'), 'matrix');
          const color = useColor(values);
          const matrix = await runMatrix({
            casesRoot, paths, cases, spec, log, signal: abort.signal, ...guestOptions(values),
            kernels: kernels.map((k) => ({ label: k.label, kernel: buildKernelRequest(singleKernel(values, k), spec) })),
            artifactsDir: base,
            reporters: (label) => [{ onRunStart: (r) => void process.stdout.write(`\n== ${label}: ${r.kernel.source} ${r.kernel.release} ==\n`) }, terminalReporter({ color }), ...fileReporters({ ...values, json: undefined, ktap: undefined, junit: undefined, html: undefined }, join(base, artifactName(label)))],
          });
          process.stdout.write(`\n${formatMatrix(matrix)}`);
          if (values.json) await writeFile(resolve(values.json), `${JSON.stringify(matrix, null, 2)}\n`);
          await writeFile(join(base, 'matrix.json'), `${JSON.stringify(matrix, null, 2)}\n`);
          await writeHtml(htmlFiles(values, base), matrixPage(matrix));
          log.info(`artifacts: ${base}`);
          if (abort.signal.aborted) return interrupted();
          return matrixPassed(matrix) ? EXIT.ok : EXIT.testsFailed;
        }
        const artifactsDir = artifactsFolder(resolve(values.artifacts ?? 'artifacts'));
        const reporters = [terminalReporter({ color: useColor(values) }), ...fileReporters(values, artifactsDir)];
        const result = await runSuite({ casesRoot, paths, kernel: buildKernelRequest(oneKernel(values, command), spec), spec, artifactsDir, log, reporters, signal: abort.signal, ...guestOptions(values), fullViews: values['full-views'] === true }, cases);
        log.info(`artifacts: ${artifactsDir}`);
        if (abort.signal.aborted) return interrupted();
        return allPassed(result) ? EXIT.ok : EXIT.testsFailed;
      }
      case 'gate': {
        const buildOnly = values['build-only'];
        if (buildOnly) {
          const running = [values.shard && '--shard', values.json && '--json', values.ktap && '--ktap', values.junit && '--junit', values.jobs && '--jobs', values['no-snapshot'] && '--no-snapshot', values.color && '--color', values['no-color'] && '--no-color', paths.length > 0 && 'case paths'].filter(Boolean);
          if (running.length > 0) throw new VmaspecError('E_USAGE', `gate --build-only runs no case, so it takes no ${running.join(', ')}`);
        }
        const cases = buildOnly ? [] : await selectedCases(casesRoot, paths, values, parsed);
        const spec = buildOnly ? await loadArch(values.arch) : await guestArch(values.arch);
        const options = kernelOptions(values);
        if (options.patches?.length || options.image) throw new VmaspecError('E_USAGE', 'gate: give the change with --series (or --git with --base and --head), not --patch; a prebuilt --kernel-image cannot be patched');
        let series;
        if (values.git) {
          if (!values.base || !values.head) throw new VmaspecError('E_USAGE', 'gate --git REPO needs --base REV and --head REV');
          if (values.series.length > 0) throw new VmaspecError('E_USAGE', 'gate: --git and --series exclude each other');
          options.git = { repo: values.git, rev: values.base };
          series = await gitRangeSeries(resolve(values.git), values.base, values.head, log);
        } else {
          if (values.base || values.head) throw new VmaspecError('E_USAGE', 'gate: --base and --head go with --git REPO');
          series = await readChangeSeries(values.series);
        }
        const artifactsDir = artifactsFolder(resolve(values.artifacts ?? 'artifacts'), 'gate');
        if (buildOnly) {
          const kernels = await buildGateKernels({ spec, base: options, series, artifactsDir, log });
          // A gate takes no prebuilt image (refused above): both kernels are kept in the cache.
          for (const { kernel } of [kernels.base, kernels.change]) process.stdout.write(`${kernel.entry!}\n`);
          log.info(`gate: base ${kernels.base.kernel.label} and change ${kernels.change.kernel.label} built; artifacts: ${artifactsDir}`);
          return EXIT.ok;
        }
        const gate = await runGate({ casesRoot, paths, cases, spec, base: options, series, artifactsDir, log, reporters: [terminalReporter({ color: useColor(values) })], signal: abort.signal, ...guestOptions(values) });
        const verdicts = gateVerdicts(gate);
        await writeGateReports(gate, verdicts, values, artifactsDir);
        process.stdout.write(`\n${gateTable(gate)}`);
        // --explore N: the same N generated sequences on both kernels, every observation that differs reported.
        let explored: ExploreReport | null = null;
        if (values.explore !== undefined && !abort.signal.aborted) {
          const kernels = await buildGateKernels({ spec, base: options, series, artifactsDir, log });
          const side = (k: typeof kernels.base): string => `${k.kernel.label} ${k.kernel.release}`;
          explored = await runExplore(
            { ...exploreBase(values, join(artifactsDir, 'explore-run'), log, abort.signal), base: kernels.base.request, change: kernels.change.request, model: null, spec, count: intFlag('explore', values.explore, 1), timeMs: null, reporters: [terminalReporter({ color: useColor(values) })] },
            { base: side(kernels.base), change: side(kernels.change) },
          );
          process.stdout.write(`\n${formatExplore(explored)}`);
          await writeGateReports({ ...gate, explore: explored }, verdicts, values, artifactsDir);
        }
        log.info(`artifacts: ${artifactsDir}`);
        if (abort.signal.aborted) return interrupted();
        return gate.comparison.regressions === 0 && (explored?.differing.length ?? 0) === 0 ? EXIT.ok : EXIT.testsFailed;
      }
      case 'explore': {
        if (paths.length > 0) throw new VmaspecError('E_USAGE', 'explore takes no case paths: it generates its cases');
        if (values.count !== undefined && values.time !== undefined) throw new VmaspecError('E_USAGE', 'explore: give --count or --time, not both');
        const spec = await guestArch(values.arch);
        const options = oneKernel(values, command);
        const base = buildKernelRequest({ ...options, patches: [] }, spec);
        const change = options.patches?.length ? buildKernelRequest(options, spec) : null;
        const oracle = exploreOracle(values.oracle);
        // Both kernels are built before any boot (the patched one incrementally).
        const built = { base: await buildKernel(base, log), change: change ? await buildKernel(change, log) : null };
        const label = (k: { label: string; release: string }): string => `${k.label} ${k.release}`;
        const labels = { base: label(built.base), change: built.change ? label(built.change) : oracle === 'model' ? 'none' : 'the same kernel, run again' };
        // The model speaks for the kernel the sequences run on, by its real release.
        const tested = built.change ?? built.base;
        if (oracle === 'model' && !modelKernel(tested.release)) throw new VmaspecError('E_USAGE', `explore: the model has no facts for ${tested.release} (it knows ${MODEL_SERIES.join(' and ')}): use --oracle diff`);
        const artifactsDir = artifactsFolder(resolve(values.artifacts ?? 'artifacts'));
        const request: ExploreRequest = {
          ...exploreBase(values, artifactsDir, log, abort.signal),
          base,
          change,
          model: oracle === 'model' ? { oracle: referenceModel(), release: tested.release, config: tested.config } : null,
          spec,
          count: values.time !== undefined ? null : intFlag('count', values.count ?? '200', 1),
          timeMs: values.time === undefined ? null : durationFlag(values.time),
          reporters: [terminalReporter({ color: useColor(values) }), ...machineReporters({ ...values, json: undefined }, null)],
        };
        const what = oracle === 'model' ? `the model's claims judged on ${labels.change === 'none' ? labels.base : `${labels.change} (findings checked on ${labels.base})`}` : `${labels.base} against ${labels.change}`;
        log.info(`explore: seed ${request.seed}; ${what}`);
        const result = await runExplore(request, labels);
        await exploreDone(result, values);
        log.info(`artifacts: ${artifactsDir}`);
        if (abort.signal.aborted) return interrupted();
        return result.differing.length === 0 ? EXIT.ok : EXIT.testsFailed;
      }
      case 'bench': {
        const cases = await loadSuite(casesRoot, [], parsed);
        const oneId = paths[0] ?? 'naming/s1-name-middle-page';
        const oneCase = cases.find((c) => c.id === oneId);
        if (!oneCase) throw new VmaspecError('E_USAGE', `bench: no case ${oneId}`);
        const spec = await guestArch(values.arch);
        const artifactsDir = artifactsFolder(resolve(values.artifacts ?? 'artifacts'), 'bench');
        const result = await runBench({ casesRoot, cases, oneCase, spec, kernel: buildKernelRequest(kernelOptions(values), spec), kernelArgv: kernelArgv(values), artifactsDir, reps: DEFAULT_REPS, log, command: readmeCommand(await readFile(join(repoRoot, 'README.md'), 'utf8')), coldTest: values['cold-test'] ?? false });
        await writeFile(join(repoRoot, 'docs', 'performance.json'), `${JSON.stringify(result, null, 2)}\n`);
        await writeFile(join(repoRoot, 'docs', 'performance.md'), renderPerformance(result));
        process.stdout.write(renderPerformance(result));
        // Every figure is written first; a cold npm test that failed then fails the command.
        return result.coldTest?.failed.length ? EXIT.testsFailed : EXIT.ok;
      }
      case 'merge': {
        if (paths.length === 0) throw new VmaspecError('E_USAGE', 'merge: give the JSON reports of the shards');
        const reports = await readReports(paths);
        if (reports.every((r) => (r as { schema: string }).schema === GATE_SCHEMA)) {
          const gate = mergeGates(reports as unknown as GateReport[], paths);
          await writeGateReports(gate, gateVerdicts(gate), values, null);
          process.stdout.write(gateTable(gate));
          return gate.comparison.regressions === 0 ? EXIT.ok : EXIT.testsFailed;
        }
        const merged = mergeReports(reports, paths);
        const color = useColor(values);
        for (const c of merged.cases) process.stdout.write(`${formatCase(c, { color })}\n`);
        process.stdout.write(`${formatSummary(merged, { color })}\n`);
        for (const r of fileReporters(values, null)) await r.onRunDone?.(merged);
        return allPassed(merged) ? EXIT.ok : EXIT.testsFailed;
      }
      case 'mutants': {
        const cases = await loadSuite(casesRoot, [], parsed);
        const dir = join(repoRoot, 'mutants');
        const [mutants, known] = await Promise.all([loadMutants(dir, paths), loadMutants(dir)]);
        const { cacheDir, jobs, kconfig, profiles, patches, tree, image } = kernelOptions(values);
        if (patches?.length || tree || image) throw new VmaspecError('E_USAGE', 'mutants builds its own working copy of Debian 6.12: --patch, --kernel-tree and --kernel-image do not apply');
        const spec = await guestArch(values.arch);
        const artifactsDir = artifactsFolder(resolve(values.artifacts ?? 'artifacts'), 'mutants');
        const reportFile = join(repoRoot, 'docs', 'mutants.md');
        const result = await runMutants({ casesRoot, cases, mutants, known: known.map((m) => m.name), kernel: { cacheDir, jobs, kconfig, profiles }, spec, reportFile, artifactsDir, log, signal: abort.signal });
        log.info(`mutants: report ${reportFile}; artifacts ${artifactsDir}`);
        if (abort.signal.aborted) return interrupted();
        const bad = (result.baseline?.failed.length ?? 0) + result.mutants.filter((m) => mutants.some((n) => n.name === m.name) && m.status !== 'caught').length;
        return bad > 0 ? EXIT.testsFailed : EXIT.ok;
      }
    }
  } catch (error) {
    // Ctrl-C reaches make and QEMU too; their failure is the interruption, not a build or boot error.
    if (abort.signal.aborted) return report(new VmaspecError('E_INTERRUPTED', `interrupted (${stopped})`, { cause: error }), log, interrupted());
    return report(error, log);
  } finally {
    offSignals();
  }
}
