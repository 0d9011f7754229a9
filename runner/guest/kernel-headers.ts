// The UAPI headers of the kernel tree under test (`make headers_install`), installed once per
// distinct set of header sources into the cache: upstream selftests compile against them
// (lib.mk's KHDR_INCLUDES). Also: where a probe case's C file is (probeFiles).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { VmaspecError } from '../errors.js';
import { contentKey } from '../kernel/cache.js';
import type { ProbeSource } from '../cases/types.js';
import type { BuiltKernel } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { run, tail } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import type { KernelTree } from './probes.js';

/** Installed headers: the include dir, and the key of the header sources they came from. */
export interface KernelHeaders {
  include: string;
  key: string;
}

/** The kernel's source arch directory for a make ARCH (x86_64 → x86). */
const srcArch = (arch: string): string => (arch === 'x86_64' || arch === 'i386' ? 'x86' : arch);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

/** A key over the UAPI header sources (include/uapi, arch/<arch>/include/uapi): equal trees share one install. */
async function uapiKey(sourceDir: string, arch: string): Promise<string> {
  const files = [...(await filesUnder(join(sourceDir, 'include', 'uapi'))), ...(await filesUnder(join(sourceDir, 'arch', srcArch(arch), 'include', 'uapi')))];
  const parts = await Promise.all(files.map(async (f) => Buffer.concat([Buffer.from(`${relative(sourceDir, f)}\n`), await readFile(f)])));
  return contentKey([arch, ...parts]);
}

/**
 * Installs the headers of `sourceDir` unless an install of the same header sources is cached
 * (a patched tree or a mutant that leaves include/uapi alone reuses Debian's).
 */
export async function kernelHeaders(sourceDir: string, arch: string, cacheDir: string, log: Logger): Promise<KernelHeaders> {
  const key = await uapiKey(sourceDir, arch);
  const dir = join(cacheDir, 'uapi', key);
  const marker = join(dir, '.vmaspec-headers');
  const include = join(dir, 'install', 'include');
  if (existsSync(marker)) return { include, key };
  await mkdir(dir, { recursive: true });
  return withLock(dir, 'headers', log, async () => {
    if (existsSync(marker)) return { include, key };
    log.info(`kernel: installing the UAPI headers of ${sourceDir} for upstream selftests`);
    await rm(join(dir, 'install'), { recursive: true, force: true });
    const logFile = join(dir, 'headers.log');
    try {
      await run('make', ['-C', sourceDir, `O=${join(dir, 'out')}`, `ARCH=${arch}`, `INSTALL_HDR_PATH=${join(dir, 'install')}`, 'headers_install'], { log, logFile });
    } catch (cause) {
      throw new VmaspecError('E_KERNEL_BUILD', `make headers_install failed in ${sourceDir} (log: ${logFile})`, { cause, details: tail(String((cause as { all?: string }).all ?? ''), 15) });
    }
    await rm(join(dir, 'out'), { recursive: true, force: true });
    await writeFile(marker, `${new Date().toISOString()}\n`);
    return { include, key };
  });
}

/** The C file a probe case compiles, with the kernel tree for a `kernel_source`; `skip` when there is none to compile. */
export type ProbeFile = { source: string; tree?: KernelTree } | { skip: string };

/** Resolves probe sources for one run; the headers are installed at most once, on first need. */
export function probeFiles(kernel: BuiltKernel, arch: string, cacheDir: string, log: Logger): (probe: ProbeSource) => Promise<ProbeFile> {
  let headers: Promise<KernelHeaders> | undefined;
  return async (probe) => {
    if (probe.from === 'case') return { source: probe.abs };
    const sourceDir = kernel.sourceDir;
    if (!sourceDir) return { skip: `${probe.path} is compiled from the kernel source tree, and a prebuilt image (${kernel.label}) has none` };
    const source = join(sourceDir, probe.path);
    if (!existsSync(source)) return { skip: `${probe.path} is not in the kernel source tree (${kernel.label} ${kernel.release})` };
    headers ??= kernelHeaders(sourceDir, arch, cacheDir, log);
    return { source, tree: { sourceDir, headers: await headers } };
  };
}
