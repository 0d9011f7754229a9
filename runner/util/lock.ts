// A lock directory per cached artifact, so two vmaspec processes (a run and
// `npm test`, or two shards) never build into the same directory at once.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
