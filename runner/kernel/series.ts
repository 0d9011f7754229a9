// Patch series on an immutable source (Debian's package, a git commit): one working
// copy per source, hard-linked once, where a series is applied, built incrementally in
// one persistent build dir per configuration, and reversed. A kernel with a mutant or a
// one-line fix costs the files it touches, not a whole build. A series is atomic: each
// patch is tried (--dry-run) before it is applied, so one that does not apply touches
// nothing and the ones before it are reversed; and the copy is proved pristine before a
// series goes on (runner/kernel/pristine.ts), so a kernel is kept under the key of what
// was really built. A series left applied by a run that died is reversed first (its
// patches are kept in the copy's journal).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { contentKey } from './cache.js';
import { cacheWriteError } from './cache-faults.js';
import { writeManifest } from './manifest.js';
import { fillAtomically } from './partial.js';
import { restorePristine } from './pristine.js';
import type { SourceTree } from './types.js';

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
  /** The source it is a copy of (never written). */
  pristine: string;
}

const JOURNAL = 'applied';

/** Reads the patch files of a series, in order. */
export async function readSeries(paths: string[]): Promise<SeriesPatch[]> {
  return Promise.all(
    paths.map(async (p) => {
      try {
        return { label: p, text: await readFile(p) };
      } catch (cause) {
        throw new VmaspecError('E_USAGE', `--patch ${p}: cannot read it (${(cause as Error).message})`, { cause, details: ['give an existing patch file'] });
      }
    }),
  );
}

/** The cache key part of a series: empty for no patches, so the unpatched kernel keeps one key. */
export const seriesKey = (series: SeriesPatch[]): string => (series.length === 0 ? '' : contentKey(series.map((p) => p.text)));

/** Where the working copy of `base` lives (it may not exist yet). */
export function workingCopyOf(base: SourceTree, cacheDir: string): WorkingCopy {
  const root = join(cacheDir, 'src', `work-${contentKey([base.identity])}`);
  return { root, tree: join(root, basename(base.dir)), pristine: base.dir };
}

/** The build dir of a working copy for one configuration, shared by every series built there. */
export const workBuildDir = (copy: WorkingCopy, configKey: string, cacheDir: string): string => join(cacheDir, 'builds', `work-${contentKey([copy.root, configKey])}`);

/** Whether a name in `builds/` is a working copy's build dir (not a kept kernel, nor a partial copy). */
export const isWorkBuildDir = (name: string): boolean => /^work-[0-9a-f]+$/.test(name);

/** The working copy of `base` under `<cache>/src/work-…`, made once (hard links: instant, no space). The caller holds its lock. */
export async function workingCopy(base: SourceTree, cacheDir: string, log: Logger): Promise<WorkingCopy> {
  const copy = workingCopyOf(base, cacheDir);
  if (existsSync(join(copy.root, '.complete'))) return copy;
  log.info(`kernel: linking a working copy of ${base.label} for incremental builds`);
  await fillAtomically(copy.root, async (partial) => {
    // Safe with hard links: GNU patch writes each file it changes anew (breaking the
    // link), and Kbuild writes nothing into the source with O=.
    await run('cp', ['-al', base.dir, join(partial, basename(base.dir))], { log });
    await writeFile(join(partial, '.complete'), `${base.identity}\n`);
  });
  return copy;
}

type PatchMode = 'try' | 'apply' | 'reverse';

/** GNU patch on the tree; `try` writes nothing, and no mode leaves a `.rej` or `.orig`. */
async function patch(tree: string, file: string, mode: PatchMode, log: Logger): Promise<void> {
  const how = { try: ['--forward', '--dry-run'], apply: ['--forward'], reverse: ['--reverse'] }[mode];
  await run('patch', ['-p1', '--batch', '--no-backup-if-mismatch', '--reject-file=-', ...how, '-i', file], { cwd: tree, log });
}

const patchOutput = (cause: unknown): string[] => ((cause as { all?: string }).all ?? '').trimEnd().split('\n').slice(-15);

/**
 * Reverses whatever the journal says is applied, newest first: after a build, or what a run
 * that died left behind. False when a patch would not reverse (the journal is dropped then,
 * and the caller restores the copy from its source).
 */
async function reverseJournal(copy: WorkingCopy, log: Logger, leftover: boolean): Promise<boolean> {
  const journal = join(copy.root, JOURNAL);
  if (!existsSync(journal)) return true;
  const files = (await readdir(journal)).sort().reverse();
  if (files.length > 0) {
    const line = `kernel: reversing ${files.length} patch(es)${leftover ? ' an earlier run left applied' : ''} in ${copy.tree}`;
    if (leftover) log.info(line);
    else log.verbose(line);
  }
  let reversed = true;
  for (const f of files) {
    try {
      if (reversed) await patch(copy.tree, join(journal, f), 'reverse', log);
    } catch {
      log.info(`kernel: ${f} of the journal does not reverse in ${copy.tree}; restoring the files that differ from the source instead`);
      reversed = false;
    }
    await rm(join(journal, f));
  }
  await rm(journal, { recursive: true, force: true });
  return reversed;
}

/** Puts back every file of the working copy that differs from its source, saying which. */
async function makePristine(copy: WorkingCopy, log: Logger): Promise<void> {
  const changed = await restorePristine(copy.tree, copy.pristine, log);
  if (changed.length > 0) log.info(`kernel: ${changed.length} file(s) of ${copy.tree} differed from the source; restored: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''}`);
}

/**
 * Runs `work` with the series applied to the pristine working copy, then reverses it (also
 * when `work` fails). The caller holds the copy's lock. A patch that does not apply stops
 * with E_PATCH naming it, having touched nothing, after the ones before it are reversed.
 */
export async function withSeriesApplied<T>(copy: WorkingCopy, series: SeriesPatch[], baseLabel: string, log: Logger, work: () => Promise<T>): Promise<T> {
  await reverseJournal(copy, log, true);
  await makePristine(copy, log);
  const journal = join(copy.root, JOURNAL);
  let torn = false; // a patch that passed its dry run failed for real (a full disk): the copy may hold part of it
  try {
    await mkdir(journal, { recursive: true });
    for (const [i, p] of series.entries()) {
      const file = join(journal, `${String(i).padStart(4, '0')}.patch`);
      await writeFile(file, p.text);
      log.info(`kernel: applying ${p.label}`);
      try {
        await patch(copy.tree, file, 'try', log);
      } catch (cause) {
        await rm(file);
        throw new VmaspecError('E_PATCH', `patch ${i + 1}/${series.length} (${p.label}) does not apply to ${baseLabel}; the working copy is left as it was`, { cause, details: patchOutput(cause) });
      }
      try {
        await patch(copy.tree, file, 'apply', log);
      } catch (cause) {
        torn = true;
        await rm(file);
        throw (await cacheWriteError(cause, copy.root)) ?? new VmaspecError('E_PATCH', `patch ${i + 1}/${series.length} (${p.label}) failed after its dry run succeeded`, { cause, details: patchOutput(cause) });
      }
    }
    return await work();
  } catch (cause) {
    throw (await cacheWriteError(cause, copy.root)) ?? cause;
  } finally {
    // Reversing rewrites the files (a new mtime), so the next build recompiles them.
    if (!(await reverseJournal(copy, log, false)) || torn) await makePristine(copy, log);
  }
}

/** Keeps a built kernel of a working copy: `files` of the shared build dir (vmlinux, the image it boots as, .config …) copied flat into `result`, with the release and their manifest. */
export async function keepResult(out: string, result: string, files: string[], log: Logger): Promise<void> {
  await fillAtomically(result, async (partial) => {
    await run('cp', ['--reflink=auto', ...files.map((f) => join(out, f)), partial], { log });
    await writeFile(join(partial, 'kernel.release'), await readFile(join(out, 'include', 'config', 'kernel.release'), 'utf8'));
    await writeManifest(partial, [...files.map((f) => basename(f)), 'kernel.release']);
  });
}
