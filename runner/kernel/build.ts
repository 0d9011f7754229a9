// The kernel stage: source → config (tinyconfig + fragments, checked) → build
// (with progress) → cached vmlinux. `vmaspec kernel build` runs this alone.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run, tail } from '../util/exec.js';
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

/** Builds (or finds in the cache) the kernel a request describes. */
export async function buildKernel(request: KernelRequest, log: Logger): Promise<BuiltKernel> {
  const source = request.source;
  if (source.kind === 'image') return prebuiltKernel({ ...request, source });
  const [tree, fragments, compiler] = await Promise.all([resolveSource(request, log), readFragments(request.fragments), compilerIdentity(log)]);
  const configKey = contentKey([RECIPE, request.arch, compiler, fragments.key]);
  // A user's tree keeps one build dir per tree and config (make is incremental);
  // Debian and patched sources are immutable, so their key covers the content.
  const key = source.kind === 'tree' && request.patches.length === 0 ? contentKey([tree.dir, configKey]) : contentKey([tree.identity, configKey]);
  const out = join(request.cacheDir, 'builds', key);
  const image = join(out, 'vmlinux');
  const configPath = join(out, '.config');
  const marker = join(out, '.vmaspec-built');
  const alwaysMake = source.kind === 'tree';
  const wasBuilt = existsSync(marker);
  let steps = 0;
  await mkdir(out, { recursive: true });

  const makeArgs = [`O=${out}`, `ARCH=${request.arch}`];
  if (!wasBuilt || alwaysMake) {
    const configMarker = join(out, '.vmaspec-config');
    if (!existsSync(configMarker) || (await readFile(configMarker, 'utf8')) !== configKey) {
      log.info(`kernel: configuring ${tree.label} (tinyconfig + ${request.fragments.map((f) => basename(f)).join(', ')})`);
      await run('make', ['-C', tree.dir, ...makeArgs, 'tinyconfig'], { log, logFile: join(out, 'config.log') });
      const base = await readFile(configPath, 'utf8');
      await writeFile(configPath, mergeKconfig(base, fragments.requests));
      await run('make', ['-C', tree.dir, ...makeArgs, 'olddefconfig'], { log, logFile: join(out, 'config.log') });
      checkConfig(fragments.requests, parseKconfig(await readFile(configPath, 'utf8')), configPath, false);
      await writeFile(configMarker, configKey);
    }
    const counts = join(request.cacheDir, 'build-steps.json');
    const known: Record<string, number> = existsSync(counts) ? JSON.parse(await readFile(counts, 'utf8')) : {};
    const started = Date.now();
    if (!alwaysMake) log.info(`kernel: building ${tree.label} in ${out} (log: build.log)`);
    steps = await makeWithProgress(tree.dir, [...makeArgs, `-j${request.jobs}`, 'vmlinux'], log, join(out, 'build.log'), wasBuilt ? null : (known[configKey] ?? null));
    if (steps > 0) log.info(`kernel: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${steps} steps)`);
    if (!wasBuilt) {
      known[configKey] = steps;
      await writeFile(counts, JSON.stringify(known, null, 2));
    }
    await writeFile(marker, `${new Date().toISOString()}\n`);
  }
  const configText = await readFile(configPath, 'utf8');
  const release = (await readFile(join(out, 'include', 'config', 'kernel.release'), 'utf8')).trim();
  return { image, configPath, config: parseKconfig(configText), release, key, cached: wasBuilt && steps === 0, label: tree.label };
}
