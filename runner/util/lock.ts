// A lock directory per cached artifact, so two vmaspec processes (a run and
// `npm test`, or two shards) never build into the same directory at once.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';

/** True while the process `pid` exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `name` carries the PID of another process (the first group of `pattern`) that is gone: what it left behind. */
export function leftByDead(name: string, pattern: RegExp): boolean {
  const pid = Number(pattern.exec(name)?.[1]);
  return pid > 0 && pid !== process.pid && !alive(pid);
}

/** Removes the entries of `dir` that processes now gone left behind (leftByDead); returns their names. */
export async function removeLeftovers(dir: string, pattern: RegExp): Promise<string[]> {
  const left = (await readdir(dir).catch(() => [] as string[])).filter((n) => leftByDead(n, pattern));
  await Promise.all(left.map((n) => rm(join(dir, n), { recursive: true, force: true })));
  return left;
}

/** Runs `work` holding `<dir>.lock`; waits for a live holder, takes over from a dead one. */
export async function withLock<T>(dir: string, what: string, log: Logger, work: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  let told = false;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && !alive(holder)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) log.info(`${what}: waiting for another vmaspec process (pid ${Number.isInteger(holder) ? holder : '?'}) that holds ${lock}`);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  await writeFile(join(lock, 'pid'), String(process.pid));
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
