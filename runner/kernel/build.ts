// The kernel stage: source → config (tinyconfig + fragments, checked) → build
// (with progress) → cached vmlinux. `vmaspec kernel build` runs this alone.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run, shellLine, tail } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import { contentKey } from './cache.js';
import { configRelease, droppedOptions, fragmentRequests, mergeKconfig, parseKconfig, type KconfigRequest } from './kconfig.js';
import { debianSource, patchedSource, userTree, type SourceTree } from './source.js';
import type { BuiltKernel, KernelRequest } from './types.js';

/** Bump when the build recipe changes, so old cache entries stop matching. */
const RECIPE = 'vmaspec-kernel-1';

interface Fragments {
  requests: KconfigRequest[];
  key: string;
}

async function readFragments(paths: string[]): Promise<Fragments> {
  const texts = await Promise.all(paths.map((p) => readFile(p, 'utf8')));
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
    throw new VmaspecError('E_KERNEL_BUILD', `kernel build failed (full log: ${logFile})`, {
      cause,
      details: tail(all.split('\n').filter((l) => /error|Error|\*\*\*/.test(l)).join('\n') || all, 20),
    });
  }
  log.done();
  return steps;
}

async function resolveSource(request: KernelRequest, log: Logger): Promise<SourceTree> {
  const source = request.source;
  if (source.kind === 'image') throw new Error('unreachable: images are not built');
  const base = source.kind === 'debian' ? await debianSource(source.version, request.cacheDir, log) : await userTree(source.path, log);
  return request.patches.length > 0 ? patchedSource(base, request.patches, request.cacheDir, log) : base;
}

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
    key: contentKey([image, text]),
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

/** `make vmlinux` with progress; returns the number of build steps make printed. */
async function compile(dir: BuildDir, request: KernelRequest, firstBuild: boolean, log: Logger): Promise<number> {
  const counts = join(request.cacheDir, 'build-steps.json');
  const known: Record<string, number> = existsSync(counts) ? JSON.parse(await readFile(counts, 'utf8')) : {};
  const started = Date.now();
  if (firstBuild) log.info(`kernel: building ${dir.src.label} in ${dir.out} (log: build.log)`);
  const steps = await makeWithProgress(dir.src.dir, [...dir.makeArgs, `-j${request.jobs}`, 'vmlinux'], log, join(dir.out, 'build.log'), firstBuild ? (known[dir.configKey] ?? null) : null);
  if (steps > 0) log.info(`kernel: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${steps} steps)`);
  if (firstBuild) await writeFile(counts, JSON.stringify({ ...known, [dir.configKey]: steps }, null, 2));
  return steps;
}

/** Builds (or finds in the cache) the kernel a request describes. */
export async function buildKernel(request: KernelRequest, log: Logger): Promise<BuiltKernel> {
  const source = request.source;
  if (source.kind === 'image') return prebuiltKernel({ ...request, source });
  const [src, fragments, compiler] = await Promise.all([resolveSource(request, log), readFragments(request.fragments), compilerIdentity(log)]);
  const configKey = contentKey([RECIPE, request.arch, compiler, fragments.key]);
  // A user's tree keeps one build dir per tree and config (make is incremental);
  // Debian and patched sources are immutable, so their key covers the content.
  const incremental = source.kind === 'tree' && request.patches.length === 0;
  const key = incremental ? contentKey([src.dir, configKey]) : contentKey([src.identity, configKey]);
  const out = join(request.cacheDir, 'builds', key);
  const dir: BuildDir = { src, out, makeArgs: [`O=${out}`, `ARCH=${request.arch}`], configKey };
  const marker = join(out, '.vmaspec-built');
  await mkdir(out, { recursive: true });
  const { wasBuilt, steps } = await withLock(out, 'kernel', log, async () => {
    const wasBuilt = existsSync(marker);
    if (wasBuilt && !incremental) {
      log.verbose(`kernel: cached; it was built by: ${shellLine('make', ['-C', src.dir, ...dir.makeArgs, `-j${request.jobs}`, 'vmlinux'])}`);
      return { wasBuilt, steps: 0 };
    }
    await configure(dir, request, fragments, log);
    const steps = await compile(dir, request, !wasBuilt, log);
    await writeFile(marker, `${new Date().toISOString()}\n`);
    return { wasBuilt, steps };
  });
  const configPath = join(out, '.config');
  const release = (await readFile(join(out, 'include', 'config', 'kernel.release'), 'utf8')).trim();
  return { image: join(out, 'vmlinux'), configPath, config: parseKconfig(await readFile(configPath, 'utf8')), release, key, cached: wasBuilt && steps === 0, label: src.label, sourceDir: src.dir };
}
