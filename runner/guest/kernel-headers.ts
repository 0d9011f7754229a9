// The UAPI headers of the kernel tree under test (`make headers_install`), installed once per
// distinct set of header sources into the cache: upstream selftests compile against them
// (lib.mk's KHDR_INCLUDES). Also: where a probe case's C file is (probeFiles). Headers that
// cannot be installed (no rsync, a failed make) make the cases that need them broken, not the run.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { VmaspecError } from '../errors.js';
import { CONTENT_KEY, contentKey } from '../kernel/cache.js';
import { cacheWriteError } from '../kernel/cache-faults.js';
import type { ProbeSource } from '../cases/types.js';
import { sourceTree } from '../kernel/source.js';
import type { BuiltKernel, KernelRequest } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { run, tail } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import { fileIdentity } from '../util/file-identity.js';
import { keptAnswer } from '../util/tool-answer.js';
import type { KernelHeaders, KernelTree } from './probes.js';

/** The kernel's source arch directory for a make ARCH (x86_64 → x86). */
const srcArch = (arch: string): string => (arch === 'x86_64' || arch === 'i386' ? 'x86' : arch);

/** Every file under dir, sorted (synchronous: ~1000 small calls, each far cheaper than a trip through the thread pool). */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  } catch {
    return [];
  }
}

/**
 * A key over the UAPI header sources (include/uapi, arch/<arch>/include/uapi): equal trees share
 * one install. Reading the ~1000 headers took ~100 ms of every run with an upstream selftest, so
 * the key is kept (as tool answers are) under the identities of the files it was read from
 * (runner/util/file-identity.ts): it is read again only when one of them changed.
 */
export async function uapiKey(sourceDir: string, arch: string, cacheDir: string): Promise<string> {
  const files = [...filesUnder(join(sourceDir, 'include', 'uapi')), ...filesUnder(join(sourceDir, 'arch', srcArch(arch), 'include', 'uapi'))];
  const identities = contentKey([arch, ...files.map((f) => fileIdentity(f, statSync(f)))]);
  const read = async (): Promise<string> => contentKey([arch, ...files.map((f) => Buffer.concat([Buffer.from(`${relative(sourceDir, f)}\n`), readFileSync(f)]))]);
  return keptAnswer(join(cacheDir, 'uapi-keys'), identities, read, { valid: (kept) => CONTENT_KEY.test(kept) });
}

const onPath = (tool: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** The programs `make headers_install` of the tree runs besides make and the compiler (rsync since Linux 5.3), each missing one with its package. */
async function missingTools(sourceDir: string): Promise<string[]> {
  const makefile = await readFile(join(sourceDir, 'Makefile'), 'utf8').catch(() => '');
  return /\brsync\b/.test(makefile) && !onPath('rsync') ? ['rsync'] : [];
}

/**
 * Installs the headers of `sourceDir` unless an install of the same header sources is cached
 * (a patched tree or a mutant that leaves include/uapi alone reuses Debian's).
 */
export async function kernelHeaders(sourceDir: string, arch: string, cacheDir: string, log: Logger): Promise<KernelHeaders> {
  const key = await uapiKey(sourceDir, arch, cacheDir);
  const dir = join(cacheDir, 'uapi', key);
  const marker = join(dir, '.vmaspec-headers');
  const include = join(dir, 'install', 'include');
  if (existsSync(marker)) return { include, key };
  await mkdir(dir, { recursive: true });
  return withLock(dir, 'headers', log, async () => {
    if (existsSync(marker)) return { include, key };
    const missing = await missingTools(sourceDir);
    if (missing.length > 0) {
      throw new VmaspecError('E_TOOL_MISSING', `make headers_install needs ${missing.join(', ')}, which is not installed`, {
        details: [`install it: apt-get install ${missing.join(' ')} (or npm run setup)`],
      });
    }
    log.info(`kernel: installing the UAPI headers of ${sourceDir} for upstream selftests`);
    const logFile = join(dir, 'headers.log');
    const clean = (): Promise<void[]> => Promise.all(['install', 'out'].map((d) => rm(join(dir, d), { recursive: true, force: true })));
    await clean();
    try {
      // ~1000 headers, each through a shell script of sed and unifdef: 41 s on one core here, ~20 s on two.
      const jobs = `-j${availableParallelism()}`;
      await run('make', ['-C', sourceDir, `O=${join(dir, 'out')}`, `ARCH=${arch}`, `INSTALL_HDR_PATH=${join(dir, 'install')}`, jobs, 'headers_install'], { log, logFile });
    } catch (cause) {
      const full = await cacheWriteError(cause, dir);
      await clean();
      throw full ?? new VmaspecError('E_KERNEL_BUILD', `make headers_install failed in ${sourceDir} (log: ${logFile})`, { cause, details: tail(String((cause as { all?: string }).all ?? ''), 15) });
    }
    await rm(join(dir, 'out'), { recursive: true, force: true });
    await writeFile(marker, `${new Date().toISOString()}\n`);
    return { include, key };
  });
}

/** The C file a probe case compiles, with the kernel tree for a `kernel_source`; `skip` when there is none to compile. */
export type ProbeFile = { source: string; tree?: KernelTree } | { skip: string };

/** Headers of one source tree being installed (or found), as probeFiles takes them: installed, or why not. */
export interface HeadersOf {
  sourceDir: string;
  headers: Promise<KernelTree['headers']>;
}

/** Installed headers, or why they could not be installed (with what to do). */
async function headersOrFailure(sourceDir: string, arch: string, cacheDir: string, log: Logger): Promise<KernelTree['headers']> {
  try {
    return await kernelHeaders(sourceDir, arch, cacheDir, log);
  } catch (cause) {
    if (!(cause instanceof VmaspecError)) throw cause;
    log.info(`kernel: ${cause.message}; the cases that compile a selftest of the kernel tree are broken`);
    return { failed: `the kernel's UAPI headers could not be installed: ${cause.message}`, details: cause.details };
  }
}

/**
 * Lays out an immutable source (Debian's, a git commit: its kernel's `sourceDir`) and starts
 * installing its headers in the background, while the kernel is configured and built: they need
 * only the source, and on an empty cache they took ~26 s after the build; configure leaves a core
 * idle for most of its ~30 s. Null for any other source: probeFiles installs on first need.
 */
export async function installHeadersEarly(request: KernelRequest, log: Logger): Promise<HeadersOf | null> {
  const source = request.source;
  if (source.kind !== 'debian' && source.kind !== 'git') return null;
  const { dir } = await sourceTree(source, request.cacheDir, log);
  const headers = headersOrFailure(dir, request.arch, request.cacheDir, log);
  headers.catch(() => undefined); // awaited by the probes; a run that ends before them must not die of it
  return { sourceDir: dir, headers };
}

/**
 * Resolves probe sources for one run; the headers are installed at most once, on first need,
 * or come from `early` (installHeadersEarly) when it is of the kernel's tree. When they cannot
 * be, the probes that need them carry why (their cases are broken).
 */
export function probeFiles(kernel: BuiltKernel, arch: string, cacheDir: string, log: Logger, early: HeadersOf | null = null): (probe: ProbeSource) => Promise<ProbeFile> {
  let headers: Promise<KernelTree['headers']> | undefined = early && early.sourceDir === kernel.sourceDir ? early.headers : undefined;
  return async (probe) => {
    if (probe.from === 'case') return { source: probe.abs };
    const sourceDir = kernel.sourceDir;
    if (!sourceDir) return { skip: `${probe.path} is compiled from the kernel source tree, and a prebuilt image (${kernel.label}) has none` };
    const source = join(sourceDir, probe.path);
    if (!existsSync(source)) return { skip: `${probe.path} is not in the kernel source tree (${kernel.label} ${kernel.release})` };
    headers ??= headersOrFailure(sourceDir, arch, cacheDir, log);
    return { source, tree: { sourceDir, headers: await headers } };
  };
}
