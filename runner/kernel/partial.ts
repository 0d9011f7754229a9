// Cache entries are filled in `<dir>.partial-<pid>` and renamed into place when complete:
// a failed fill removes its partial dir (a full disk must not leak a 200 MB tree per try),
// and the partial dirs of processes that died (SIGKILL, power loss) are swept on the next fill.
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removeLeftovers } from '../util/lock.js';
import { cacheWriteError } from './cache-faults.js';

const PARTIAL = /\.partial-(\d+)$/;

/** Removes the partial dirs in `parent` whose process is gone; returns their names. */
export const removeStalePartials = (parent: string): Promise<string[]> => removeLeftovers(parent, PARTIAL);

/**
 * Fills `dir` through a fresh partial dir, renamed over `dir` when `fill` succeeds; removed
 * when it fails (a want of space or permission is E_CACHE). The caller holds `dir`'s lock.
 */
export async function fillAtomically(dir: string, fill: (partial: string) => Promise<void>): Promise<void> {
  const parent = dirname(dir);
  const partial = join(parent, `${basename(dir)}.partial-${process.pid}`);
  try {
    await mkdir(parent, { recursive: true });
    await removeStalePartials(parent);
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial);
    await fill(partial);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } catch (cause) {
    const error = (await cacheWriteError(cause, parent)) ?? cause;
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}
