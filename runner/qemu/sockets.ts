// QEMU's monitor sockets: where they go (TMPDIR, checked before QEMU starts, so
// a missing one is an error of its own and never taken for a damaged snapshot),
// and that none outlives vmaspec: each is removed when its QEMU is done, any
// still there are removed at exit (process.exit and signals included), and
// those of vmaspec processes that no longer exist (SIGKILL) by the next run.
import { unlinkSync } from 'node:fs';
import { access, constants, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmaspecError } from '../errors.js';
import { removeLeftovers } from '../util/lock.js';

const PREFIX = 'vmaspec-qmp-';
/** sun_path holds 108 bytes with the terminating NUL. */
const SOCKET_PATH_MAX = 107;

const live = new Set<string>();
let made = 0;
let swept = false;

/** The directory monitor sockets go to: TMPDIR (else /tmp); E_TMPDIR when it is not a writable directory or too long a path for a socket. */
export async function socketDir(): Promise<string> {
  const dir = tmpdir();
  const what = process.env.TMPDIR ? `TMPDIR=${dir}` : dir;
  const fix = ['QEMU\'s monitor sockets (snapshots) are created there', `create it (mkdir -p ${dir}), point TMPDIR at a writable directory, or unset TMPDIR (then /tmp)`];
  const s = await stat(dir).catch((cause: unknown) => {
    throw new VmaspecError('E_TMPDIR', `${what}: no such directory`, { cause, details: fix });
  });
  if (!s.isDirectory()) throw new VmaspecError('E_TMPDIR', `${what}: not a directory`, { details: fix });
  await access(dir, constants.W_OK | constants.X_OK).catch((cause: unknown) => {
    throw new VmaspecError('E_TMPDIR', `${what}: not writable`, { cause, details: fix });
  });
  if (join(dir, `${PREFIX}${process.pid}-999999.sock`).length > SOCKET_PATH_MAX) {
    throw new VmaspecError('E_TMPDIR', `${what}: too long a path for a unix socket (at most ${SOCKET_PATH_MAX} bytes with the socket's name)`, { details: fix.slice(0, 1).concat(['point TMPDIR at a shorter path, or unset it (then /tmp)']) });
  }
  return dir;
}

/** A monitor socket's name, `vmaspec-qmp-<pid>-<n>.sock`: its process's PID. */
const SOCKET_NAME = new RegExp(`^${PREFIX}(\\d+)-\\d+\\.sock$`);

function removeLeft(): void {
  for (const path of live) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

/** A fresh monitor socket path, and the function that removes it (also removed at exit, whatever ends the process). */
export async function monitorSocket(): Promise<{ path: string; release: () => Promise<void> }> {
  const dir = await socketDir();
  if (!swept) {
    swept = true;
    process.once('exit', removeLeft);
    await removeLeftovers(dir, SOCKET_NAME); // those of vmaspec processes killed before they could
  }
  const path = join(dir, `${PREFIX}${process.pid}-${++made}.sock`);
  live.add(path);
  return {
    path,
    release: async () => {
      await rm(path, { force: true });
      live.delete(path);
    },
  };
}

/** Runs `use` with a fresh monitor socket path, and removes the socket afterwards, whatever `use` did. */
export async function withMonitorSocket<T>(use: (path: string) => Promise<T>): Promise<T> {
  const socket = await monitorSocket();
  try {
    return await use(socket.path);
  } finally {
    await socket.release();
  }
}
