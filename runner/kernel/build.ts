// The kernel stage: source → config (runner/kernel/configure.ts) → build (with progress)
// → cached kernel, with the machine it boots on. `vmaspec kernel build` runs this alone.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { machineFor, type ArchSpec } from '../qemu/arch.js';
import { run, shellLine, tail } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import { contentKey } from './cache.js';
import { assertCacheWritable, cacheWriteError } from './cache-faults.js';
import { checkConfig, configPlan, configure, CONFIG_REPORT, formatMissing, missingWants, readConfigReport, requiredOptions, tinyconfigFile, type BuildDir, type ConfigPlan } from './configure.js';
import { configRelease, parseKconfig, type KconfigValues } from './kconfig.js';
import { elfProblem, entryProblem } from './manifest.js';
import { markBuilt, seedBuildDir, unmarkBuilt } from './seed.js';
import { keepResult, readSeries, seriesKey, withSeriesApplied, workBuildDir, workingCopy, workingCopyOf, type SeriesPatch } from './series.js';
import { debianImage, debianImagePackage, type ImagePackage } from './debian-image.js';
import { locateSource, patchedSource, patchedTree, sourceTree, type BuildableSource } from './source.js';
import { configuredInPlace, withCleanCopy } from './tree-copy.js';
import type { BuiltKernel, KernelRequest, KernelSource, SourceTree } from './types.js';

const STEP = /^ {2}([A-Z][A-Z0-9_-]*) +(\S.*)$/;

/** Runs make with a progress line: steps done (of the last build's count when known), elapsed time, the current file. */
async function makeWithProgress(src: string, args: string[], log: Logger, logFile: string, expected: number | null): Promise<number> {
  const started = Date.now();
  let steps = 0;
  let output = '';
  try {
    output = await run('make', ['-C', src, ...args], {
      log,
      logFile,
      onLine: (line) => {
        const m = STEP.exec(line);
        if (!m) return;
        steps++;
        const secs = Math.round((Date.now() - started) / 1000);
        const pct = expected ? ` ${Math.min(99, Math.floor((steps * 100) / expected))}%` : '';
        log.progress(`kernel: building${pct} [${steps}${expected ? `/${expected}` : ''} steps, ${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s] ${m[1]} ${m[2]}`);
      },
    });
  } catch (cause) {
    log.done();
    const all = (cause as { all?: string }).all ?? output;
    const full = await cacheWriteError(cause, dirname(logFile));
    if (full) throw full;
    throw new VmaspecError('E_KERNEL_BUILD', `kernel build failed (full log: ${logFile})`, {
      cause,
      details: tail(all.split('\n').filter((l) => /error|Error|\*\*\*/.test(l)).join('\n') || all, 20),
    });
  }
  log.done();
  return steps;
}

/** The cache key of a prebuilt image: its path and its `.config`. */
const imageKey = (image: string, config: string): string => contentKey([image, config]);

/** The machine a kernel of this configuration boots on (runner/qemu/arch.ts machineFor); E_KERNEL_CONFIG when none does. */
function bootMachine(request: KernelRequest, config: KconfigValues, where: string): ArchSpec {
  const machine = machineFor(request.machine, config);
  if (machine) return machine;
  const tried: string[] = [];
  for (let m: ArchSpec | null = request.machine; m; m = m.otherwise) tried.push(`qemu/${m.arch}.yaml boots ${m.kernelImage} with CONFIG_${m.imageNeeds}`);
  throw new VmaspecError('E_KERNEL_CONFIG', `no machine of qemu/ boots the kernel of ${where}`, { details: tried });
}

/** The cache key of Debian's prebuilt kernel: its package and version. */
const debianImageKey = (pkg: ImagePackage): string => contentKey(['debian-image', pkg.name, pkg.version]);

/** Debian's prebuilt kernel, fetched into the cache once, then checked and booted as a prebuilt image. */
async function debianKernel(request: KernelRequest & { source: { kind: 'debian-image' } }, log: Logger): Promise<BuiltKernel> {
  const { series, flavour } = request.source;
  const fetched = await debianImage(series, flavour, request.cacheDir, log);
  const kernel = await prebuiltKernel({ ...request, source: { kind: 'image', image: fetched.image, config: fetched.config } }, log);
  return { ...kernel, key: debianImageKey(fetched.package), label: `debian-image:${series}-${flavour} (${fetched.label})` };
}

/** A prebuilt image: its `.config` must hold what the guest needs, and what the image needs to boot on the machine. */
async function prebuiltKernel(request: KernelRequest & { source: { kind: 'image' } }, log: Logger): Promise<BuiltKernel> {
  const { image, config: configPath } = request.source;
  for (const path of [image, configPath]) if (!existsSync(path)) throw new VmaspecError('E_KERNEL_SOURCE', `${path} does not exist`);
  const text = await readFile(configPath, 'utf8');
  const config = parseKconfig(text);
  const plan = await configPlan(request, true, log);
  checkConfig(requiredOptions(plan), config, configPath, true);
  const machine = request.machine;
  if (machineFor(machine, config) !== machine) {
    throw new VmaspecError('E_KERNEL_CONFIG', `${configPath} lacks CONFIG_${machine.imageNeeds}, without which ${image} does not boot on ${machine.machine}`, {
      details: [`rebuild the image with CONFIG_${machine.imageNeeds}=y, or let vmaspec build it (--kernel-tree with --kernel-config): such a kernel boots as ${machine.otherwise?.kernelImage ?? 'another image'}`],
    });
  }
  return {
    image,
    machine,
    configPath,
    config,
    release: configRelease(text) ?? 'unknown',
    key: imageKey(image, text),
    cached: true,
    label: `image:${image}`,
    configReport: formatMissing(missingWants(plan, config)),
  };
}

/** The build step counts of earlier first builds, by config key; empty when the record is missing or damaged. */
async function knownStepCounts(file: string): Promise<Record<string, number>> {
  try {
    const known: unknown = JSON.parse(await readFile(file, 'utf8'));
    return known && typeof known === 'object' ? (known as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/**
 * `make vmlinux` (and the image the kernel boots as, when it is another: a bzImage) with
 * progress; returns the number of build steps make printed and the image's path in the build
 * dir. A damaged vmlinux in the build dir is removed first (make would take it as up to date),
 * and what make leaves is checked: a whole ELF file, and a `.config` that still holds every
 * required option.
 */
async function compile(dir: BuildDir, request: KernelRequest, plan: ConfigPlan, firstBuild: boolean, log: Logger): Promise<{ steps: number; image: string }> {
  const counts = join(request.cacheDir, 'build-steps.json');
  const known = await knownStepCounts(counts);
  const vmlinux = join(dir.out, 'vmlinux');
  const damaged = existsSync(vmlinux) ? await elfProblem(vmlinux) : null;
  if (damaged) {
    log.info(`kernel: ${damaged}; linking it again`);
    await rm(vmlinux, { force: true });
  }
  const configPath = join(dir.out, '.config');
  const { kernelImage } = bootMachine(request, parseKconfig(await readFile(configPath, 'utf8')), configPath);
  const targets = [...new Set(['vmlinux', basename(kernelImage)])];
  const started = Date.now();
  if (firstBuild) log.info(`kernel: building ${dir.src.label} in ${dir.out} (${targets.join(', ')}; log: ${join(dir.meta, 'build.log')})`);
  const steps = await makeWithProgress(dir.src.dir, [...dir.makeArgs, `-j${request.jobs}`, ...targets], log, join(dir.meta, 'build.log'), firstBuild ? (known[dir.configKey] ?? null) : null);
  if (steps > 0) log.info(`kernel: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${steps} steps)`);
  const built = await elfProblem(vmlinux);
  if (built) throw new VmaspecError('E_KERNEL_BUILD', `make succeeded, but ${built}`, { details: [`build log: ${join(dir.meta, 'build.log')}`] });
  if (!existsSync(join(dir.out, kernelImage))) throw new VmaspecError('E_KERNEL_BUILD', `make succeeded, but there is no ${kernelImage} in ${dir.out}`, { details: [`build log: ${join(dir.meta, 'build.log')}`] });
  checkConfig(requiredOptions(plan), parseKconfig(await readFile(configPath, 'utf8')), configPath, false);
  if (firstBuild) await writeFile(counts, JSON.stringify({ ...known, [dir.configKey]: steps }, null, 2));
  return { steps, image: kernelImage };
}

type TreeSource = Extract<KernelSource, { kind: 'tree' }>;

/** The key a kernel of `base` (located) with `series` in one configuration is kept under in the cache. */
function builtKey(source: BuildableSource, base: SourceTree, series: SeriesPatch[], configKey: string, cacheDir: string): string {
  if (source.kind !== 'tree') return contentKey([base.identity, seriesKey(series), configKey]);
  // A developer's build dir holds one kernel per configuration; vmaspec keeps its logs under this key.
  if (source.inBuildDir) return contentKey(['in-build-dir', source.build ?? source.path, configKey]);
  // A developer's tree keeps one build dir per tree and config (make is incremental); with
  // a series, a pristine patched copy is built on its own (the tree may change later).
  if (series.length === 0) return contentKey([base.dir, configKey]);
  return contentKey([patchedTree(base, series.map((p) => p.text), cacheDir).identity, configKey]);
}

/** Why `--kernel host` has no build and no cache key. */
const NOTHING_TO_BUILD = '--kernel host is the kernel this machine runs: there is nothing to build';

/**
 * The cache key `buildKernel` keeps the kernel of a request under, found without building,
 * extracting or writing anything (`vmaspec kernel key`: a CI cache key that changes exactly
 * when the kernel would be built anew). For a developer's tree without patches it names the
 * build dir, which make updates in place as the tree changes.
 */
export async function kernelKey(request: KernelRequest, log: Logger): Promise<string> {
  const source = request.source;
  if (source.kind === 'host') throw new VmaspecError('E_USAGE', NOTHING_TO_BUILD);
  if (source.kind === 'image') return imageKey(source.image, await readFile(source.config, 'utf8'));
  if (source.kind === 'debian-image') return debianImageKey(await debianImagePackage(source.series, source.flavour, request.cacheDir, log));
  const [base, plan, series] = await Promise.all([locateSource(source, request.cacheDir, log), configPlan(request, false, log), readSeries(request.patches)]);
  return builtKey(source, base, series, plan.configKey, request.cacheDir);
}

/** Builds (or finds in the cache) the kernel a request describes, and says what it changed in a developer's `.config`. */
export async function buildKernel(request: KernelRequest, log: Logger): Promise<BuiltKernel> {
  const source = request.source;
  if (source.kind === 'host') throw new VmaspecError('E_USAGE', NOTHING_TO_BUILD);
  await assertCacheWritable(request.cacheDir);
  const kernel =
    source.kind === 'image' ? await prebuiltKernel({ ...request, source }, log) : source.kind === 'debian-image' ? await debianKernel({ ...request, source }, log) : await buildFromSource(request, source, log);
  for (const line of kernel.configReport) log.info(`kernel: ${line}`);
  return kernel;
}

async function buildFromSource(request: KernelRequest, source: BuildableSource, log: Logger): Promise<BuiltKernel> {
  const [base, plan, series] = await Promise.all([sourceTree(source, request.cacheDir, log), configPlan(request, true, log), readSeries(request.patches)]);
  const key = builtKey(source, base, series, plan.configKey, request.cacheDir);
  // Debian's source and a git commit never change: every kernel of one (with or without
  // a series) is built in its working copy, incrementally, and kept by content.
  if (source.kind !== 'tree') return seriesBuild(base, series, key, plan, request, log);
  const inPlace = configuredInPlace(source.path);
  if (source.inBuildDir && source.build && inPlace) {
    throw new VmaspecError('E_KERNEL_SOURCE', `${source.path} is configured in place, so Kbuild does not build it into --kernel-build ${source.build}`, {
      details: [`run: make -C ${source.path} mrproper, or leave out --in-build-dir (vmaspec then builds a clean copy of the tree)`],
    });
  }
  if (source.inBuildDir && !inPlace && !source.build) throw new VmaspecError('E_USAGE', `--in-build-dir: ${source.path} is not configured in place and no --kernel-build was given: it has no build dir of its own`);
  const build = (clean: string): Promise<BuiltKernel> => treeBuild(source, { ...base, dir: clean }, series, key, plan, request, log);
  return inPlace ? withCleanCopy(source.path, request.arch, request.cacheDir, log, build) : build(source.path);
}

/**
 * A developer's tree, `clean` being the tree itself or its clean copy: built in vmaspec's build
 * dir in the cache (incremental; with a series, from a pristine patched copy), or in the
 * developer's own (`inBuildDir`: their `O=` dir, or the tree configured in place).
 */
async function treeBuild(source: TreeSource, clean: SourceTree, series: SeriesPatch[], key: string, plan: ConfigPlan, request: KernelRequest, log: Logger): Promise<BuiltKernel> {
  const incremental = series.length === 0;
  const src = incremental ? clean : await patchedSource(clean, request.patches, request.cacheDir, log);
  const meta = join(request.cacheDir, 'builds', key);
  const arch = `ARCH=${request.arch}`;
  const dir: BuildDir = source.inBuildDir
    ? { src: { ...src, dir: source.path }, out: source.build ?? source.path, meta, makeArgs: source.build ? [`O=${source.build}`, arch] : [arch], configKey: plan.configKey, tinyconfig: null }
    : { src, out: meta, meta, makeArgs: [`O=${meta}`, arch], configKey: plan.configKey, tinyconfig: null };
  const marker = join(meta, '.vmaspec-built');
  await mkdir(meta, { recursive: true });
  const { wasBuilt, steps } = await withLock(meta, 'kernel', log, async () => {
    const damaged = existsSync(marker) && !incremental ? await elfProblem(join(dir.out, 'vmlinux')) : null;
    if (damaged) {
      log.info(`kernel: the cached kernel is damaged (${damaged}); building it again`);
      await rm(marker);
    }
    const wasBuilt = existsSync(marker);
    if (wasBuilt && !incremental) {
      log.verbose(`kernel: cached; it was built by: ${shellLine('make', ['-C', dir.src.dir, ...dir.makeArgs, `-j${request.jobs}`, 'vmlinux'])}`);
      return { wasBuilt, steps: 0 };
    }
    await configure(dir, plan, log);
    const { steps } = await compile(dir, request, plan, !wasBuilt, log);
    await writeFile(marker, `${new Date().toISOString()}\n`);
    return { wasBuilt, steps };
  });
  const release = await readFile(join(dir.out, 'include', 'config', 'kernel.release'), 'utf8');
  return builtKernel(dir.out, (m) => join(dir.out, m.kernelImage), release, { dir: meta, plan }, request, { key, cached: wasBuilt && steps === 0, label: src.label, sourceDir: src.dir, buildDir: dir.out });
}

/**
 * Makes another target (e.g. `bzImage`) of the unpatched kernel of an immutable source,
 * in the build dir its vmlinux came from; returns the file's path. The kernel is built first.
 */
export async function makeTarget(request: KernelRequest, target: string, file: string, log: Logger): Promise<string> {
  const source = request.source;
  if (source.kind === 'image' || source.kind === 'debian-image' || source.kind === 'tree' || source.kind === 'host' || request.patches.length > 0) throw new VmaspecError('E_USAGE', `make ${target}: only for Debian's source or a git commit, without patches`);
  await buildKernel(request, log);
  const [base, plan] = await Promise.all([sourceTree(source, request.cacheDir, log), configPlan(request, true, log)]);
  const copy = workingCopyOf(base, request.cacheDir);
  const out = workBuildDir(copy, plan.configKey, request.cacheDir);
  return withLock(copy.root, 'kernel', log, async () => {
    await workingCopy(base, request.cacheDir, log);
    await withSeriesApplied(copy, [], base.label, log, async () => {
      const tinyconfig = tinyconfigFile(request.cacheDir, base, plan);
      await configure({ src: { ...base, dir: copy.tree }, out, meta: out, makeArgs: [`O=${out}`, `ARCH=${request.arch}`], configKey: plan.configKey, tinyconfig }, plan, log);
      await makeWithProgress(copy.tree, [`O=${out}`, `ARCH=${request.arch}`, `-j${request.jobs}`, target], log, join(out, `${target}.log`), null);
    });
    return join(out, file);
  });
}

/**
 * A built kernel from the `.config` in `dir`, the image `imageOf` its machine names, and the
 * report on a developer's `.config` of `report.plan` kept in `report.dir`.
 */
async function builtKernel(
  dir: string,
  imageOf: (machine: ArchSpec) => string,
  release: string,
  report: { dir: string; plan: ConfigPlan },
  request: KernelRequest,
  rest: Pick<BuiltKernel, 'key' | 'cached' | 'label' | 'sourceDir' | 'buildDir'>,
): Promise<BuiltKernel> {
  const configPath = join(dir, '.config');
  const config = parseKconfig(await readFile(configPath, 'utf8'));
  const machine = bootMachine(request, config, configPath);
  return { image: imageOf(machine), machine, configPath, config, release: release.trim(), entry: dir, configReport: await readConfigReport(report.dir, report.plan), ...rest };
}

/**
 * A kernel of an immutable source with a series (maybe empty): kept in `builds/<key>/`
 * (vmlinux, the image it boots as, .config, kernel.release, the report on a developer's
 * .config); built, when missing, in the source's working copy with the series applied, in
 * the build dir the copy shares across series.
 */
async function seriesBuild(base: SourceTree, series: SeriesPatch[], key: string, plan: ConfigPlan, request: KernelRequest, log: Logger): Promise<BuiltKernel> {
  const result = join(request.cacheDir, 'builds', key);
  const label = series.length === 0 ? base.label : `${base.label} + ${series.length} patch${series.length === 1 ? '' : 'es'}`;
  const out = workBuildDir(workingCopyOf(base, request.cacheDir), plan.configKey, request.cacheDir);
  const done = async (cached: boolean): Promise<BuiltKernel> =>
    builtKernel(result, (m) => join(result, basename(m.kernelImage)), await readFile(join(result, 'kernel.release'), 'utf8'), { dir: result, plan }, request, { key, cached, label, sourceDir: base.dir, buildDir: out });
  /** Whether a whole kernel is kept under the key; a damaged one is removed (and so rebuilt). */
  const kept = async (): Promise<boolean> => {
    if (!existsSync(result)) return false;
    const problem = await entryProblem(result);
    if (!problem) return true;
    log.info(`kernel: the cached kernel ${result} is damaged (${problem}); building it again`);
    await rm(result, { recursive: true, force: true });
    return false;
  };
  if (await kept()) return done(true);
  const copy = workingCopyOf(base, request.cacheDir);
  // With a series applied, the working copy is not the source its identity names: its tinyconfig is not kept.
  const tinyconfig = series.length === 0 ? tinyconfigFile(request.cacheDir, base, plan) : null;
  const dir: BuildDir = { src: { ...base, dir: copy.tree, label }, out, meta: out, makeArgs: [`O=${out}`, `ARCH=${request.arch}`], configKey: plan.configKey, tinyconfig };
  await mkdir(dirname(copy.root), { recursive: true });
  return withLock(copy.root, 'kernel', log, async () => {
    if (await kept()) return done(true);
    await workingCopy(base, request.cacheDir, log);
    if (request.seed) await seedBuildDir(out, copy, plan, log);
    await mkdir(out, { recursive: true });
    await unmarkBuilt(out);
    await withSeriesApplied(copy, series, base.label, log, async () => {
      await configure(dir, plan, log);
      const { image } = await compile(dir, request, plan, !existsSync(join(out, 'vmlinux')), log);
      await markBuilt(out, copy);
      const report = existsSync(join(out, CONFIG_REPORT)) ? [CONFIG_REPORT] : [];
      await keepResult(out, result, [...new Set(['vmlinux', image, '.config', ...report])], log);
    });
    return done(false);
  });
}
