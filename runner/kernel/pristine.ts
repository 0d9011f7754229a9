// The working copy of an immutable source is a hard-linked copy: a file still linked to the
// source is the source's. Only the files a patch (or a hand) wrote anew can differ, so a
// check of those, before a series is applied, proves the copy pristine: a kernel is then
// built from the source plus the series and nothing else, and kept under their key.
import { lstat, mkdir, readFile, readlink, rename, rm, symlink, copyFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';

/** Files (not dirs) with a single link under `dir`, relative to it. */
async function singlyLinked(dir: string, log: Logger): Promise<string[]> {
  const out = await run('find', ['.', '-links', '1', '!', '-type', 'd', '-printf', '%P\\0'], { cwd: dir, log });
  return out.split('\0').filter(Boolean);
}

const statOf = (path: string): Promise<Stats | null> => lstat(path).catch(() => null);

async function same(a: string, sa: Stats, b: string, sb: Stats): Promise<boolean> {
  if (sa.ino === sb.ino && sa.dev === sb.dev) return true;
  if (sa.isSymbolicLink() || sb.isSymbolicLink()) return sa.isSymbolicLink() && sb.isSymbolicLink() && (await readlink(a)) === (await readlink(b));
  return sa.size === sb.size && (await readFile(a)).equals(await readFile(b));
}

/** Writes the source's file anew (a new inode and mtime, so make recompiles what was built from the old one). */
async function restore(from: string, to: string, st: Stats): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = `${to}.vmaspec-restore`;
  await rm(tmp, { force: true });
  if (st.isSymbolicLink()) await symlink(await readlink(from), tmp);
  else await copyFile(from, tmp);
  await rename(tmp, to);
}

/**
 * Makes `tree` equal to `pristine` again: a file written anew that differs is restored, one
 * the source lacks (a `.rej`, a file a patch added) removed, one deleted put back. Returns
 * the paths it changed. Deletions are seen through the source's link counts.
 */
export async function restorePristine(tree: string, pristine: string, log: Logger): Promise<string[]> {
  const [own, orphaned] = await Promise.all([singlyLinked(tree, log), singlyLinked(pristine, log)]);
  const changed: string[] = [];
  for (const rel of [...new Set([...own, ...orphaned])].sort()) {
    const [mine, theirs] = [join(tree, rel), join(pristine, rel)];
    const [sm, st] = await Promise.all([statOf(mine), statOf(theirs)]);
    if (sm && st && (await same(mine, sm, theirs, st))) continue;
    if (st) await restore(theirs, mine, st);
    else if (sm) await rm(mine, { force: true });
    else continue;
    changed.push(rel);
  }
  return changed;
}
