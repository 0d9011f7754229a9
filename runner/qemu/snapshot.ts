// Snapshots of a booted, parked guest, kept in the cache by what shapes them: the
// QEMU binary, the machine's argv, the kernel image and the initramfs. A run with
// a snapshot restores it instead of booting; without one it boots and saves one.
import { constants, existsSync } from 'node:fs';
import { access, mkdir, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { contentKey } from '../kernel/cache.js';
import type { ArchSpec } from './arch.js';
import { qemuArgv, type BootRequest } from './argv.js';
import { bootGuest, type BootOptions, type BootOutcome } from './boot.js';

/** Bumped when what a snapshot holds changes meaning (the park protocol of c-helpers/init.c). */
const FORMAT = 'vmaspec-snapshot 1';
/** Snapshots kept; the least recently used go first. */
const KEEP = 6;

/** The program a bare name runs, found in PATH. */
async function resolveBinary(name: string): Promise<string> {
  if (isAbsolute(name)) return name;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file;
  }
  return name;
}

/** A file's identity without reading it: path, size, modification time and inode. */
async function fileStamp(path: string): Promise<string> {
  const s = await stat(path);
  return `${path} ${s.size} ${s.mtimeMs} ${s.ino}`;
}

/** Where the state of a parked guest booted from `request` on `spec` is kept. */
export async function snapshotFile(cacheDir: string, spec: ArchSpec, request: BootRequest): Promise<string> {
  // Per-run paths (console, payload, monitor) do not shape the machine.
  const machine = qemuArgv(spec, { ...request, consoleLog: '-', payload: '-', qmp: undefined, snapshot: undefined });
  const key = contentKey([FORMAT, await fileStamp(await resolveBinary(spec.binary)), await fileStamp(request.kernel), await fileStamp(request.initrd), machine.join('\0')]);
  return join(cacheDir, 'snapshots', `${key}.vmstate`);
}

let sockets = 0;
/** A short path for QEMU's monitor socket (unix socket paths are limited to 107 bytes). */
const monitorSocket = (): string => join(tmpdir(), `vmaspec-qmp-${process.pid}-${++sockets}.sock`);

/**
 * Boots the guest of `request` through its snapshot `file`: restores it when it
 * exists; else boots and saves it at the park. A snapshot QEMU will not load is
 * removed and the guest booted instead (and saved anew).
 */
export async function bootFromSnapshot(spec: ArchSpec, request: BootRequest, file: string, options: BootOptions): Promise<BootOutcome> {
  if (existsSync(file)) {
    await utimes(file, new Date(), new Date()).catch(() => undefined); // recently used: kept longest
    const outcome = await bootGuest(spec, { ...request, qmp: monitorSocket(), snapshot: { mode: 'restore', path: file } }, options);
    // Cancelled (Ctrl-C): the snapshot is not to blame, and nothing more is to run.
    if (outcome.restoreFailed === null || outcome.cancelled || options.signal?.aborted) return outcome;
    options.log.info(`qemu: the snapshot ${file} did not restore (${outcome.restoreFailed}${outcome.stderr.trim() ? `: ${outcome.stderr.trim().split('\n').at(-1)}` : ''}); booting instead`);
    await rm(file, { force: true });
  }
  await mkdir(join(file, '..'), { recursive: true });
  const outcome = await bootGuest(spec, { ...request, qmp: monitorSocket(), snapshot: { mode: 'save', path: file } }, options);
  await pruneSnapshots(join(file, '..'), KEEP);
  return outcome;
}

/** Removes all but the `keep` most recently used snapshots in `dir`. */
export async function pruneSnapshots(dir: string, keep: number): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.vmstate'));
  const dated = await Promise.all(names.map(async (n) => ({ path: join(dir, n), at: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.at - a.at);
  await Promise.all(dated.slice(keep).map((d) => rm(d.path, { force: true })));
}
