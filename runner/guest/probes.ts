// Builds the custom C probes of `probe:` cases with musl-gcc -static, cached by content
// (the source, the headers beside it and in c-helpers/, the flags and the compiler), and
// the kernel's own selftests (`probe: { kernel_source }`) as the selftests' lib.mk does.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { contentKey } from '../kernel/cache.js';
import type { Logger } from '../log.js';
import { repoRoot } from '../qemu/arch.js';
import { CC, compilerVersion } from './helpers.js';
import { tmpSuffix } from '../util/atomic.js';
import { run } from '../util/exec.js';

/** No -Werror: a warning in a case's probe should not stop it; the compiler's words are kept. */
const CFLAGS = ['-static', '-O2', '-Wall', '-Wextra', '-std=gnu11'];
/** lib.mk's flags for a selftest (-D_GNU_SOURCE=, -Wall), static with musl; the kernel's files are never edited. */
const SELFTEST_CFLAGS = ['-static', '-O2', '-Wall', '-Wno-unused-function', '-D_GNU_SOURCE='];

/** Installed UAPI headers: the include dir, and the key of the header sources they came from. */
export interface KernelHeaders {
  include: string;
  key: string;
}

/** A program of the kernel tree: its top and installed UAPI headers, or why they could not be installed (the probe is then not built). */
export interface KernelTree {
  sourceDir: string;
  headers: KernelHeaders | { failed: string; details: string[] };
}

/** The compiler flags of a selftest of `tree` with installed `headers` (KHDR_INCLUDES and TOOLS_INCLUDES of lib.mk). */
export function selftestFlags(tree: KernelTree, headers: KernelHeaders): string[] {
  return [...SELFTEST_CFLAGS, '-isystem', headers.include, '-isystem', join(tree.sourceDir, 'tools', 'include', 'uapi')];
}

/** A built probe, or why it could not be built (the case is then broken with these lines). */
export type ProbeBuild = { ok: true; binary: string } | { ok: false; message: string; output: string[] };

async function headersOf(dir: string): Promise<Buffer[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.h')).sort();
  return Promise.all(names.map(async (h) => Buffer.concat([Buffer.from(`${h}\n`), await readFile(join(dir, h))])));
}

/** The builder of a run: one compiler check, then one cached build per distinct probe source. */
export function probeBuilder(cacheDir: string, log: Logger, helperDir = join(repoRoot, 'c-helpers')): (source: string, tree?: KernelTree) => Promise<ProbeBuild> {
  let compiler: Promise<string> | undefined;
  const builds = new Map<string, Promise<ProbeBuild>>();
  const build = async (source: string, tree?: KernelTree): Promise<ProbeBuild> => {
    compiler ??= compilerVersion(cacheDir, log);
    const cc = await compiler;
    let text: Buffer;
    try {
      text = await readFile(source);
    } catch (e) {
      return { ok: false, message: `cannot read the probe ${source}: ${(e as Error).message}`, output: [] };
    }
    const headers = tree?.headers;
    if (headers && 'failed' in headers) return { ok: false, message: headers.failed, output: headers.details };
    // A selftest includes ../kselftest*.h: the headers one level up are part of its key too.
    const flags = tree && headers ? selftestFlags(tree, headers) : [...CFLAGS, '-I', helperDir];
    const near = headers ? [...(await headersOf(dirname(source))), ...(await headersOf(dirname(dirname(source)))), headers.key] : [...(await headersOf(helperDir)), ...(await headersOf(dirname(source)))];
    const key = contentKey([cc, tree ? flags.join(' ') : CFLAGS.join(' '), text, ...near]);
    const name = basename(source, '.c').replace(/[^A-Za-z0-9_.-]/g, '_');
    const dir = join(cacheDir, 'probes', key);
    const binary = join(dir, name);
    if (existsSync(binary)) return { ok: true, binary };
    await mkdir(dir, { recursive: true });
    const tmp = `${binary}${tmpSuffix()}`;
    try {
      await run(CC, [...flags, '-o', tmp, source], { log });
    } catch (cause) {
      const all = String((cause as { all?: unknown }).all ?? (cause as Error).message);
      return { ok: false, message: `${CC} failed on ${source}`, output: all.trimEnd().split('\n').slice(0, 30) };
    }
    await rename(tmp, binary);
    log.verbose(`probes: built ${source} (${key})`);
    return { ok: true, binary };
  };
  return (source, tree) => {
    let p = builds.get(source);
    if (!p) builds.set(source, (p = build(source, tree)));
    return p;
  };
}
