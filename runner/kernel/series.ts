// Patch series on an immutable source (Debian's package, a git commit): one working
// copy per source, hard-linked once, where a series is applied, built incrementally in
// one persistent build dir per configuration, and reversed. A kernel with a mutant or a
// one-line fix costs the files it touches, not a whole build. A series left applied by
// a run that died is reversed first (its patches are kept in the copy's journal).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { contentKey } from './cache.js';
import type { SourceTree } from './source.js';

/** One patch of a series: where it came from (for messages) and its text. */
export interface SeriesPatch {
  label: string;
  text: Buffer;
}

/** The working copy of an immutable source. */
export interface WorkingCopy {
  /** Holds the tree, the journal, and is the lock's name. */
  root: string;
  /** The tree `make -C` builds (a hard-linked copy of the source). */
  tree: string;
}

const JOURNAL = 'applied';

/** Reads the patch files of a series, in order. */
export async function readSeries(paths: string[]): Promise<SeriesPatch[]> {
  return Promise.all(
    paths.map(async (p) => {
      try {
        return { label: p, text: await readFile(p) };
      } catch (cause) {
        throw new VmaspecError('E_USAGE', `cannot read patch ${p}`, { cause });
      }
    }),
  );
}

/** The cache key part of a series: empty for no patches, so the unpatched kernel keeps one key. */
export const seriesKey = (series: SeriesPatch[]): string => (series.length === 0 ? '' : contentKey(series.map((p) => p.text)));

/** Where the working copy of `base` lives (it may not exist yet). */
export function workingCopyOf(base: SourceTree, cacheDir: string): WorkingCopy {
  const root = join(cacheDir, 'src', `work-${contentKey([base.identity])}`);
  return { root, tree: join(root, basename(base.dir)) };
}

/** The build dir of a working copy for one configuration, shared by every series built there. */
export const workBuildDir = (copy: WorkingCopy, configKey: string, cacheDir: string): string => join(cacheDir, 'builds', `work-${contentKey([copy.root, configKey])}`);

/** The working copy of `base` under `<cache>/src/work-…`, made once (hard links: instant, no space). */
export async function workingCopy(base: SourceTree, cacheDir: string, log: Logger): Promise<WorkingCopy> {
  const { root, tree } = workingCopyOf(base, cacheDir);
  if (existsSync(join(root, '.complete'))) return { root, tree };
  const partial = `${root}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  log.info(`kernel: linking a working copy of ${base.label} for incremental builds`);
  // Safe with hard links: GNU patch writes each file it changes anew (breaking the
  // link), and Kbuild writes nothing into the source with O=.
  await run('cp', ['-al', base.dir, join(partial, basename(base.dir))], { log });
  await writeFile(join(partial, '.complete'), `${base.identity}\n`);
  await rm(root, { recursive: true, force: true });
  await rename(partial, root);
  return { root, tree };
}

async function patch(tree: string, file: string, reverse: boolean, log: Logger): Promise<void> {
  await run('patch', ['-p1', '--batch', '--no-backup-if-mismatch', reverse ? '--reverse' : '--forward', '-i', file], { cwd: tree, log });
}

const patchOutput = (cause: unknown): string[] => ((cause as { all?: string }).all ?? '').trimEnd().split('\n').slice(-15);

/** Reverses whatever the journal says is applied, newest first: after a build, or what a run that died left behind. */
async function reverseJournal(copy: WorkingCopy, log: Logger, leftover: boolean): Promise<void> {
  const journal = join(copy.root, JOURNAL);
  if (!existsSync(journal)) return;
  const files = (await readdir(journal)).sort().reverse();
  if (files.length > 0) {
    const line = `kernel: reversing ${files.length} patch(es)${leftover ? ' an earlier run left applied' : ''} in ${copy.tree}`;
    if (leftover) log.info(line);
    else log.verbose(line);
  }
  for (const f of files) {
    try {
      await patch(copy.tree, join(journal, f), true, log);
    } catch (cause) {
      throw new VmaspecError('E_PATCH', `cannot reverse ${f} that an earlier run left applied in ${copy.tree}; delete ${copy.root} (it is rebuilt from the source)`, { cause, details: patchOutput(cause) });
    }
    await rm(join(journal, f));
  }
  await rm(journal, { recursive: true, force: true });
}

/**
 * Runs `work` with the series applied to the working copy, then reverses it (also when
 * `work` fails). The caller holds the copy's lock. A patch that does not apply stops with
 * E_PATCH naming it, after the ones before it are reversed.
 */
export async function withSeriesApplied<T>(copy: WorkingCopy, series: SeriesPatch[], baseLabel: string, log: Logger, work: () => Promise<T>): Promise<T> {
  await reverseJournal(copy, log, true);
  const journal = join(copy.root, JOURNAL);
  await mkdir(journal, { recursive: true });
  try {
    for (const [i, p] of series.entries()) {
      const file = join(journal, `${String(i).padStart(4, '0')}.patch`);
      await writeFile(file, p.text);
      log.info(`kernel: applying ${p.label}`);
      try {
        await patch(copy.tree, file, false, log);
      } catch (cause) {
        await rm(file);
        throw new VmaspecError('E_PATCH', `patch ${i + 1}/${series.length} (${p.label}) does not apply to ${baseLabel}`, { cause, details: patchOutput(cause) });
      }
    }
    return await work();
  } finally {
    // Reversing rewrites the files (a new mtime), so the next build recompiles them.
    await reverseJournal(copy, log, false);
  }
}

/** Where a built kernel of a working copy is kept: vmlinux, .config and the release, copied out of the shared build dir. */
export async function keepResult(out: string, result: string, log: Logger): Promise<void> {
  const partial = `${result}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await run('cp', ['--reflink=auto', join(out, 'vmlinux'), join(out, '.config'), partial], { log });
  await writeFile(join(partial, 'kernel.release'), await readFile(join(out, 'include', 'config', 'kernel.release'), 'utf8'));
  await writeFile(join(partial, '.vmaspec-built'), `${new Date().toISOString()}\n`);
  await mkdir(dirname(result), { recursive: true });
  await rm(result, { recursive: true, force: true });
  await rename(partial, result);
}
