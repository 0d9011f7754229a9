// Builds the guest programs in c-helpers/ with musl-gcc -static, cached by content, with the
// plan headers generated from the plan op table (./plan-header.ts) beside each build.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { contentKey } from '../kernel/cache.js';
import { repoRoot } from '../qemu/arch.js';
import { run } from '../util/exec.js';
import { tmpSuffix, writeFileAtomic } from '../util/atomic.js';
import { onPath, toolVersion } from '../util/tool-answer.js';
import { planHeaders } from './plan-header.js';

export const HELPERS = ['init', 'vmaprobe'] as const;
export type HelperName = (typeof HELPERS)[number];

/** The compiler of every guest program (the helpers here, the probes of runner/guest/probes.ts). */
export const CC = 'musl-gcc';
const CFLAGS = ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11'];

/** Paths of the built static binaries. */
export type HelperBinaries = Record<HelperName, string>;

/** The gcc that Debian's musl-gcc wrapper (`exec "${REALGCC:-x86_64-linux-gnu-gcc}" … -specs …`) runs; gcc when it names none. */
async function wrappedCompiler(): Promise<string> {
  if (process.env.REALGCC) return process.env.REALGCC;
  const wrapper = await onPath(CC);
  const text = wrapper ? await readFile(wrapper, 'latin1').catch(() => '') : '';
  return /\$\{REALGCC:-([^}\s]+)\}/.exec(text)?.[1] ?? 'gcc';
}

/** `musl-gcc --version`'s first line: part of every guest program's key (kept in the cache under musl-gcc's and its gcc's identity). */
export async function compilerVersion(cacheDir: string, log: Logger): Promise<string> {
  return toolVersion(cacheDir, { command: CC, programs: [await wrappedCompiler()], debianPackage: 'musl-tools' }, log);
}

/** Writes the generated headers into dir (each through a temporary name, so a concurrent build reads a whole file). */
export async function writeGeneratedHeaders(dir: string, generated: [string, string][] = Object.entries(planHeaders())): Promise<void> {
  for (const [file, text] of generated) {
    await writeFileAtomic(join(dir, file), text);
  }
}

/** Compiles each helper unless a binary for the same source, flags and compiler is cached. */
export async function buildHelpers(cacheDir: string, log: Logger, sourceDir = join(repoRoot, 'c-helpers')): Promise<HelperBinaries> {
  const compiler = await compilerVersion(cacheDir, log);
  // Every header, the generated ones included, is part of every helper's key: a change to one rebuilds both.
  const headers = (await readdir(sourceDir)).filter((f) => f.endsWith('.h')).sort();
  const headerTexts = await Promise.all(headers.map((h) => readFile(join(sourceDir, h))));
  const generated = Object.entries(planHeaders());
  const out = {} as HelperBinaries;
  for (const name of HELPERS) {
    const source = join(sourceDir, `${name}.c`);
    const key = contentKey([compiler, CFLAGS.join(' '), await readFile(source), ...headerTexts, ...generated.flat()]);
    const dir = join(cacheDir, 'helpers', key);
    const binary = join(dir, name);
    if (!existsSync(binary)) {
      await mkdir(dir, { recursive: true });
      await writeGeneratedHeaders(dir, generated);
      const tmp = `${binary}${tmpSuffix()}`;
      try {
        await run(CC, [...CFLAGS, '-I', dir, '-o', tmp, source], { log });
      } catch (cause) {
        throw new VmaspecError('E_HELPERS_BUILD', `${CC} failed on ${source}`, { cause, details: String((cause as { all?: string }).all ?? '').split('\n').slice(0, 20) });
      }
      await rename(tmp, binary);
      log.verbose(`helpers: built ${name} (${key})`);
    }
    out[name] = binary;
  }
  return out;
}
