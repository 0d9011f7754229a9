// Builds the guest programs in c-helpers/ with musl-gcc -static, cached by content.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { contentKey } from '../kernel/cache.js';
import { repoRoot } from '../qemu/arch.js';
import { run } from '../util/exec.js';

export const HELPERS = ['init', 'vmaprobe'] as const;
export type HelperName = (typeof HELPERS)[number];

const CC = 'musl-gcc';
const CFLAGS = ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11'];

/** Paths of the built static binaries. */
export type HelperBinaries = Record<HelperName, string>;

async function compilerVersion(log: Logger): Promise<string> {
  try {
    return (await run(CC, ['--version'], { log })).split('\n')[0] ?? '';
  } catch (cause) {
    throw new VmaspecError('E_TOOL_MISSING', `${CC} is not installed`, { cause, details: ['install it: apt-get install musl-tools'] });
  }
}

/** Compiles each helper unless a binary for the same source, flags and compiler is cached. */
export async function buildHelpers(cacheDir: string, log: Logger, sourceDir = join(repoRoot, 'c-helpers')): Promise<HelperBinaries> {
  const compiler = await compilerVersion(log);
  // Every header is part of every helper's key: a change to one rebuilds both.
  const headers = (await readdir(sourceDir)).filter((f) => f.endsWith('.h')).sort();
  const headerTexts = await Promise.all(headers.map((h) => readFile(join(sourceDir, h))));
  const out = {} as HelperBinaries;
  for (const name of HELPERS) {
    const source = join(sourceDir, `${name}.c`);
    const key = contentKey([compiler, CFLAGS.join(' '), await readFile(source), ...headerTexts]);
    const dir = join(cacheDir, 'helpers', key);
    const binary = join(dir, name);
    if (!existsSync(binary)) {
      await mkdir(dir, { recursive: true });
      try {
        await run(CC, [...CFLAGS, '-o', `${binary}.tmp-${process.pid}`, source], { log });
      } catch (cause) {
        throw new VmaspecError('E_HELPERS_BUILD', `${CC} failed on ${source}`, { cause, details: String((cause as { all?: string }).all ?? '').split('\n').slice(0, 20) });
      }
      await rename(`${binary}.tmp-${process.pid}`, binary);
      log.verbose(`helpers: built ${name} (${key})`);
    }
    out[name] = binary;
  }
  return out;
}
