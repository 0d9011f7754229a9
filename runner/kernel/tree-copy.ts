// A developer's tree configured in place (a `.config`, objects) cannot be built with `O=`
// (Kbuild: "The source tree is not clean"), and building in it would write into their tree.
// vmaspec builds a clean copy of it instead, kept in the cache per tree: hard links of the
// tree's files (instant, no space; a plain copy across file systems), then `make mrproper` in
// the copy, which only unlinks there: a file of the tree is never written. The copy is made
// anew when the tree changed since (a fingerprint of every path with its inode, size and
// mtime). Unchanged files keep their mtime in the new copy, so make rebuilds only what changed.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run, tail } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import { contentKey } from './cache.js';
import { fillAtomically } from './partial.js';

/** Kbuild's own test for a tree configured in place (the top Makefile's `outputmakefile`). */
export function configuredInPlace(tree: string): boolean {
  if (existsSync(join(tree, '.config')) || existsSync(join(tree, 'include', 'config'))) return true;
  const arches = existsSync(join(tree, 'arch')) ? readdirSync(join(tree, 'arch')) : [];
  return arches.some((a) => existsSync(join(tree, 'arch', a, 'include', 'generated')));
}

/** Where the clean copy of `tree` is kept (`root`, also its lock's name) and the copy itself (`dir`). */
export function cleanCopyOf(tree: string, cacheDir: string): { root: string; dir: string } {
  const root = join(cacheDir, 'src', `tree-${contentKey([tree])}`);
  return { root, dir: join(root, 'linux') };
}

/** Every path of the tree but `.git`, with its inode, size, mtime and type, hashed: changes when any file does. */
async function fingerprint(tree: string, log: Logger): Promise<string> {
  const listing = await run('find', ['.', '-path', './.git', '-prune', '-o', '-printf', '%i %s %T@ %y %p\\0'], { cwd: tree, log });
  return contentKey([listing]);
}

/** Hard links of every entry of `tree` but `.git` in `copy`; a plain copy where links cannot cross file systems. */
async function linkTree(tree: string, copy: string, log: Logger): Promise<void> {
  await mkdir(copy);
  const entries = (await readdir(tree)).filter((e) => e !== '.git');
  try {
    await run('cp', ['-al', '-t', copy, '--', ...entries], { cwd: tree, log });
  } catch (cause) {
    if (!/cross-device/i.test(String((cause as { all?: string }).all ?? ''))) throw cause;
    log.info(`kernel: ${tree} is on another file system than the cache; copying it (hard links would be instant: set VMASPEC_CACHE on the tree's file system)`);
    await run('cp', ['-a', '--reflink=auto', '-t', copy, '--', ...entries], { cwd: tree, log });
  }
}

/**
 * Runs `work` on a clean copy of `tree` (configured in place), made or renewed first, holding
 * the copy's lock throughout (another vmaspec process does not renew it under a build).
 */
export async function withCleanCopy<T>(tree: string, arch: string, cacheDir: string, log: Logger, work: (dir: string) => Promise<T>): Promise<T> {
  const { root, dir } = cleanCopyOf(tree, cacheDir);
  await mkdir(dirname(root), { recursive: true });
  return withLock(root, 'kernel', log, async () => {
    const print = await fingerprint(tree, log);
    if ((await readFile(join(root, '.complete'), 'utf8').catch(() => '')) !== print) {
      log.info(`kernel: ${tree} is configured in place; making a clean copy of it in the cache (hard links, mrproper'd there; the tree is not written)`);
      await fillAtomically(root, async (partial) => {
        const copy = join(partial, 'linux');
        await linkTree(tree, copy, log);
        // mrproper removes files (unlink: the tree's own stay as they are), it writes none.
        const logFile = `${root}.mrproper.log`;
        await run('make', ['-C', copy, `ARCH=${arch}`, 'mrproper'], { log, logFile }).catch((cause: unknown) => {
          throw new VmaspecError('E_KERNEL_SOURCE', `make mrproper failed in the copy of ${tree} (log: ${logFile})`, { cause, details: tail(String((cause as { all?: string }).all ?? ''), 10) });
        });
        if (configuredInPlace(copy)) throw new VmaspecError('E_KERNEL_SOURCE', `make mrproper left the copy of ${tree} configured`, { details: [`log: ${logFile}`] });
        await writeFile(join(partial, '.complete'), print);
      });
    }
    return work(dir);
  });
}
