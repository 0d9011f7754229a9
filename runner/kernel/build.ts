// The kernel stage: source → config (tinyconfig + fragments, checked) → build
// (with progress) → cached vmlinux. `vmaspec kernel build` runs this alone.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run, shellLine, tail } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import { contentKey } from './cache.js';
import { assertCacheWritable, cacheWriteError } from './cache-faults.js';
import { elfProblem, entryProblem } from './manifest.js';
import { configRelease, droppedOptions, fragmentRequests, mergeKconfig, parseKconfig, type KconfigRequest } from './kconfig.js';
import { keepResult, readSeries, seriesKey, withSeriesApplied, workBuildDir, workingCopy, workingCopyOf, type SeriesPatch } from './series.js';
import { locateSource, patchedSource, patchedTree, sourceTree, type BuildableSource } from './source.js';
import type { BuiltKernel, KernelRequest, SourceTree } from './types.js';

/** Bump when the build recipe changes, so old cache entries stop matching. */
const RECIPE = 'vmaspec-kernel-1';

interface Fragments {
  requests: KconfigRequest[];
  key: string;
}

async function readFragments(paths: string[]): Promise<Fragments> {
  const texts = await Promise.all(
    paths.map((p) =>
      readFile(p, 'utf8').catch((cause: unknown) => {
        throw new VmaspecError('E_USAGE', `cannot read the Kconfig fragment ${p} (${(cause as Error).message})`, { cause, details: ['give an existing file with --kconfig'] });
      }),
    ),
  );
  return {
    requests: texts.flatMap((text, i) => fragmentRequests(paths[i]!, text)),
    key: contentKey(texts.flatMap((text, i) => [basename(paths[i]!), text])),
  };
}

async function compilerIdentity(log: Logger): Promise<string> {
  try {
    return (await run('gcc', ['--version'], { log })).split('\n')[0]!.trim();
  } catch (cause) {
    throw new VmaspecError('E_TOOL_MISSING', 'gcc is not installed', { cause, details: ['install it: apt-get install gcc'] });
  }
}

/** Fails with the name, fragment line and final value of each requested option olddefconfig dropped. */
function checkConfig(requests: KconfigRequest[], config: Map<string, string>, where: string, prebuilt: boolean): void {
  const dropped = droppedOptions(requests, config);
  if (dropped.length === 0) return;
  const what = prebuilt ? `${where} lacks ${dropped.length} required kernel option(s)` : `${dropped.length} requested kernel option(s) did not survive olddefconfig in ${where}`;
  const hint = prebuilt ? 'rebuild the image with it' : 'check its dependencies in Kconfig';
  throw new VmaspecError('E_KERNEL_CONFIG', what, {
    details: dropped.map((d) => `${d.file}:${d.line}: CONFIG_${d.name}=${d.value} requested, got ${d.got === 'n' ? 'not set' : d.got} (${hint})`),
  });
}

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

/** A prebuilt image: its `.config` must hold every requested option. */
async function prebuiltKernel(request: KernelRequest & { source: { kind: 'image' } }): Promise<BuiltKernel> {
  const { image, config: configPath } = request.source;
  for (const path of [image, configPath]) if (!existsSync(path)) throw new VmaspecError('E_KERNEL_SOURCE', `${path} does not exist`);
  const text = await readFile(configPath, 'utf8');
  const config = parseKconfig(text);
  // Only what the fragments switch on is required of an image; how we trim ours (=n, sizes) is not.
  const required = (await readFragments(request.fragments)).requests.filter((r) => r.value === 'y');
  checkConfig(required, config, configPath, true);
  return {
    image,
    configPath,
    config,
    release: configRelease(text) ?? 'unknown',
    key: imageKey(image, text),
    cached: true,
    label: `image:${image}`,
  };
}

interface BuildDir {
  src: SourceTree;
  out: string;
  makeArgs: string[];
  configKey: string;
}

/** `make tinyconfig`, the fragments merged on top, `olddefconfig`, then the check; skipped when the config key is unchanged. */
async function configure(dir: BuildDir, request: KernelRequest, fragments: Fragments, log: Logger): Promise<void> {
  const configMarker = join(dir.out, '.vmaspec-config');
  if (existsSync(configMarker) && (await readFile(configMarker, 'utf8')) === dir.configKey) return;
  const configPath = join(dir.out, '.config');
  const logFile = join(dir.out, 'config.log');
  log.info(`kernel: configuring ${dir.src.label} (tinyconfig + ${request.fragments.map((f) => basename(f)).join(', ')})`);
  await run('make', ['-C', dir.src.dir, ...dir.makeArgs, 'tinyconfig'], { log, logFile });
  await writeFile(configPath, mergeKconfig(await readFile(configPath, 'utf8'), fragments.requests));
  await run('make', ['-C', dir.src.dir, ...dir.makeArgs, 'olddefconfig'], { log, logFile });
  checkConfig(fragments.requests, parseKconfig(await readFile(configPath, 'utf8')), configPath, false);
  await writeFile(configMarker, dir.configKey);
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
 * `make vmlinux` with progress; returns the number of build steps make printed. A damaged
 * vmlinux in the build dir is removed first (make would take it as up to date), and what
 * make leaves is checked: a whole ELF file, and a `.config` that still holds every option.
 */
async function compile(dir: BuildDir, request: KernelRequest, fragments: Fragments, firstBuild: boolean, log: Logger): Promise<number> {
  const counts = join(request.cacheDir, 'build-steps.json');
  const known = await knownStepCounts(counts);
  const vmlinux = join(dir.out, 'vmlinux');
  const damaged = existsSync(vmlinux) ? await elfProblem(vmlinux) : null;
  if (damaged) {
    log.info(`kernel: ${damaged}; linking it again`);
    await rm(vmlinux, { force: true });
  }
  const started = Date.now();
  if (firstBuild) log.info(`kernel: building ${dir.src.label} in ${dir.out} (log: build.log)`);
  const steps = await makeWithProgress(dir.src.dir, [...dir.makeArgs, `-j${request.jobs}`, 'vmlinux'], log, join(dir.out, 'build.log'), firstBuild ? (known[dir.configKey] ?? null) : null);
  if (steps > 0) log.info(`kernel: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${steps} steps)`);
  const built = await elfProblem(vmlinux);
  if (built) throw new VmaspecError('E_KERNEL_BUILD', `make succeeded, but ${built}`, { details: [`build log: ${join(dir.out, 'build.log')}`] });
  checkConfig(fragments.requests, parseKconfig(await readFile(join(dir.out, '.config'), 'utf8')), join(dir.out, '.config'), false);
  if (firstBuild) await writeFile(counts, JSON.stringify({ ...known, [dir.configKey]: steps }, null, 2));
  return steps;
}

/** The fragments of a request, and the configuration's key: the recipe, the architecture, the compiler and the fragments. */
async function configOf(request: KernelRequest, log: Logger): Promise<{ fragments: Fragments; configKey: string }> {
  const [fragments, compiler] = await Promise.all([readFragments(request.fragments), compilerIdentity(log)]);
  return { fragments, configKey: contentKey([RECIPE, request.arch, compiler, fragments.key]) };
}

/** The key a kernel of `base` (located) with `series` in one configuration is kept under in the cache. */
function builtKey(source: BuildableSource, base: SourceTree, series: SeriesPatch[], configKey: string, cacheDir: string): string {
  if (source.kind !== 'tree') return contentKey([base.identity, seriesKey(series), configKey]);
  // A user's tree keeps one build dir per tree and config (make is incremental); with
  // a series, a pristine patched copy is built on its own (the tree may change later).
  if (series.length === 0) return contentKey([base.dir, configKey]);
  return contentKey([patchedTree(base, series.map((p) => p.text), cacheDir).identity, configKey]);
}

/** Why `--kernel host` has no build and no cache key. */
const NOTHING_TO_BUILD = '--kernel host is the kernel this machine runs: there is nothing to build';

/**
 * The cache key `buildKernel` keeps the kernel of a request under, found without building,
 * extracting or writing anything (`vmaspec kernel key`: a CI cache key that changes exactly
 * when the kernel would be built anew). For a user's tree without patches it names the build
 * dir, which make updates in place as the tree changes.
 */
export async function kernelKey(request: KernelRequest, log: Logger): Promise<string> {
  const source = request.source;
  if (source.kind === 'host') throw new VmaspecError('E_USAGE', NOTHING_TO_BUILD);
  if (source.kind === 'image') return imageKey(source.image, await readFile(source.config, 'utf8'));
  const [base, { configKey }, series] = await Promise.all([locateSource(source, request.cacheDir, log), configOf(request, log), readSeries(request.patches)]);
  return builtKey(source, base, series, configKey, request.cacheDir);
}

/** Builds (or finds in the cache) the kernel a request describes. */
export async function buildKernel(request: KernelRequest, log: Logger): Promise<BuiltKernel> {
  const source = request.source;
  if (source.kind === 'host') throw new VmaspecError('E_USAGE', NOTHING_TO_BUILD);
  await assertCacheWritable(request.cacheDir);
  if (source.kind === 'image') return prebuiltKernel({ ...request, source });
  const [base, { fragments, configKey }, series] = await Promise.all([sourceTree(source, request.cacheDir, log), configOf(request, log), readSeries(request.patches)]);
  const key = builtKey(source, base, series, configKey, request.cacheDir);
  // Debian's source and a git commit never change: every kernel of one (with or without
  // a series) is built in its working copy, incrementally, and kept by content.
  if (source.kind !== 'tree') return seriesBuild(base, series, key, configKey, fragments, request, log);
  const incremental = series.length === 0;
  const src = incremental ? base : await patchedSource(base, request.patches, request.cacheDir, log);
  const out = join(request.cacheDir, 'builds', key);
  const dir: BuildDir = { src, out, makeArgs: [`O=${out}`, `ARCH=${request.arch}`], configKey };
  const marker = join(out, '.vmaspec-built');
  await mkdir(out, { recursive: true });
  const { wasBuilt, steps } = await withLock(out, 'kernel', log, async () => {
    const damaged = existsSync(marker) && !incremental ? await elfProblem(join(out, 'vmlinux')) : null;
    if (damaged) {
      log.info(`kernel: the cached kernel is damaged (${damaged}); building it again`);
      await rm(marker);
    }
    const wasBuilt = existsSync(marker);
    if (wasBuilt && !incremental) {
      log.verbose(`kernel: cached; it was built by: ${shellLine('make', ['-C', src.dir, ...dir.makeArgs, `-j${request.jobs}`, 'vmlinux'])}`);
      return { wasBuilt, steps: 0 };
    }
    await configure(dir, request, fragments, log);
    const steps = await compile(dir, request, fragments, !wasBuilt, log);
    await writeFile(marker, `${new Date().toISOString()}\n`);
    return { wasBuilt, steps };
  });
  const release = (await readFile(join(out, 'include', 'config', 'kernel.release'), 'utf8')).trim();
  return builtKernel(out, join(out, 'vmlinux'), release, { key, cached: wasBuilt && steps === 0, label: src.label, sourceDir: src.dir, buildDir: out });
}

/**
 * Makes another target (e.g. `bzImage`) of the unpatched kernel of an immutable source,
 * in the build dir its vmlinux came from; returns the file's path. The kernel is built first.
 */
export async function makeTarget(request: KernelRequest, target: string, file: string, log: Logger): Promise<string> {
  const source = request.source;
  if (source.kind === 'image' || source.kind === 'tree' || source.kind === 'host' || request.patches.length > 0) throw new VmaspecError('E_USAGE', `make ${target}: only for Debian's source or a git commit, without patches`);
  await buildKernel(request, log);
  const [base, { fragments, configKey }] = await Promise.all([sourceTree(source, request.cacheDir, log), configOf(request, log)]);
  const copy = workingCopyOf(base, request.cacheDir);
  const out = workBuildDir(copy, configKey, request.cacheDir);
  return withLock(copy.root, 'kernel', log, async () => {
    await workingCopy(base, request.cacheDir, log);
    await withSeriesApplied(copy, [], base.label, log, async () => {
      await configure({ src: { ...base, dir: copy.tree }, out, makeArgs: [`O=${out}`, `ARCH=${request.arch}`], configKey }, request, fragments, log);
      await makeWithProgress(copy.tree, [`O=${out}`, `ARCH=${request.arch}`, `-j${request.jobs}`, target], log, join(out, `${target}.log`), null);
    });
    return join(out, file);
  });
}

async function builtKernel(dir: string, image: string, release: string, rest: Pick<BuiltKernel, 'key' | 'cached' | 'label' | 'sourceDir' | 'buildDir'>): Promise<BuiltKernel> {
  const configPath = join(dir, '.config');
  return { image, configPath, config: parseKconfig(await readFile(configPath, 'utf8')), release: release.trim(), entry: dir, ...rest };
}

/**
 * A kernel of an immutable source with a series (maybe empty): kept in `builds/<key>/`
 * (vmlinux, .config, kernel.release); built, when missing, in the source's working copy
 * with the series applied, in the build dir the copy shares across series.
 */
async function seriesBuild(base: SourceTree, series: SeriesPatch[], key: string, configKey: string, fragments: Fragments, request: KernelRequest, log: Logger): Promise<BuiltKernel> {
  const result = join(request.cacheDir, 'builds', key);
  const label = series.length === 0 ? base.label : `${base.label} + ${series.length} patch${series.length === 1 ? '' : 'es'}`;
  const out = workBuildDir(workingCopyOf(base, request.cacheDir), configKey, request.cacheDir);
  const done = async (cached: boolean): Promise<BuiltKernel> =>
    builtKernel(result, join(result, 'vmlinux'), await readFile(join(result, 'kernel.release'), 'utf8'), { key, cached, label, sourceDir: base.dir, buildDir: out });
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
  const dir: BuildDir = { src: { ...base, dir: copy.tree, label }, out, makeArgs: [`O=${out}`, `ARCH=${request.arch}`], configKey };
  await mkdir(out, { recursive: true });
  return withLock(copy.root, 'kernel', log, async () => {
    if (await kept()) return done(true);
    await workingCopy(base, request.cacheDir, log);
    await withSeriesApplied(copy, series, base.label, log, async () => {
      await configure(dir, request, fragments, log);
      await compile(dir, request, fragments, !existsSync(join(out, 'vmlinux')), log);
      await keepResult(out, result, log);
    });
    return done(false);
  });
}
