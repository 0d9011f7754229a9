// Starting the command server (docs/serve.md): the daemon in the background, its
// output in its log, and the client compiled for `./vmaspec` to find.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../qemu/arch.js';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { askDaemon } from './daemon.js';

/** The launcher every worker and the daemon start from. */
export const LAUNCHER = join(repoRoot, 'runner', 'bin', 'vmaspec.js');
/** The client's source; `./vmaspec` runs the compiled client when it is not older than this. */
const CLIENT_SOURCE = join(repoRoot, 'runner', 'serve', 'client.c');

/** Compiles the client into `<dir>/client` (atomically: a half-written client is never run), unless it is as new as its source (the rule ./vmaspec applies). */
export async function compileClient(dir: string, log: Logger): Promise<void> {
  const built = statSync(join(dir, 'client'), { throwIfNoEntry: false });
  if (built && built.mtimeMs >= statSync(CLIENT_SOURCE).mtimeMs) return;
  const tmp = join(dir, `client.tmp-${process.pid}`);
  await run('cc', ['-O2', '-Wall', '-o', tmp, CLIENT_SOURCE], { log });
  renameSync(tmp, join(dir, 'client'));
}

/** Starts the daemon of the cache `cacheDir` detached and waits (up to 10 s) until it answers; its status, or null. */
export async function startDaemon(cacheDir: string, paths: { socket: string; log: string; dir: string }): Promise<{ out: string; status: number } | null> {
  mkdirSync(paths.dir, { recursive: true });
  const log = openSync(paths.log, 'a');
  // The daemon takes its cache from the environment: `serve --cache-dir DIR` must serve DIR's socket.
  spawn(process.execPath, [LAUNCHER, '__serve-daemon'], { detached: true, stdio: ['ignore', log, log], env: { ...process.env, VMASPEC_CACHE: cacheDir } }).unref();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const answer = await askDaemon(paths.socket, ['serve', '--status']);
    if (answer) return answer;
  }
  return null;
}
