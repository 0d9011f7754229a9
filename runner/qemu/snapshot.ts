// Snapshots of a booted, parked guest, kept in the cache by what shapes them: the
// QEMU binary, the machine's argv, the kernel image and the initramfs. A run with
// a snapshot restores it instead of booting; without one it boots and saves one.
//
// Guests side by side share one snapshot file, and other vmaspec processes may
// share the cache: each restore reads a private hard link of the file (it cannot
// vanish under QEMU), a damaged file is found before QEMU reads it when it is
// cut short or not a migration stream at all (once per file for all guests of
// this process), a file QEMU refuses is removed only if it is still the one it
// refused, and one guest of this process saves the new one (atomically,
// runner/qemu/vmstate.ts) while the others boot without saving. A snapshot is
// two files: the state (`<key>.vmstate`) and the guest's RAM, named by the
// state's inode (`<key>.<inode>.ram`); a restore holds a private link to each.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { contentKey } from '../kernel/cache.js';
import { leftByDead } from '../util/lock.js';
import type { ArchSpec } from './arch.js';
import { qemuArgv, type BootRequest } from './argv.js';
import { bootGuest, type BootOptions, type BootOutcome } from './boot.js';
import { withMonitorSocket } from './sockets.js';
import { findProgram } from './tools.js';
import { checkRamFile, checkVmState, ramFileOf, ramInode, SAVING_SUFFIX, VMSTATE_EXT } from './vmstate.js';

/** Bumped when what a snapshot holds changes meaning (the park protocol of c-helpers/init.c; 2: the RAM in a file of its own). */
const FORMAT = 'vmaspec-snapshot 2';
/** Snapshots kept; the least recently used go first. */
const KEEP = 6;
/** A restore's private hard link: `<file>.use-<pid>-<n>`. */
const USING_SUFFIX = /\.use-(\d+)-\d+$/;

/** A file's identity without reading it: path, size, modification time and inode. */
async function fileStamp(path: string): Promise<string> {
  const s = await stat(path);
  return `${path} ${s.size} ${s.mtimeMs} ${s.ino}`;
}

/** Where the state of a parked guest booted from `request` on `spec` is kept. */
export async function snapshotFile(cacheDir: string, spec: ArchSpec, request: BootRequest): Promise<string> {
  // Per-run paths (console, payload, monitor) do not shape the machine.
  const machine = qemuArgv(spec, { ...request, consoleLog: '-', payload: '-', qmp: undefined, snapshot: undefined });
  const key = contentKey([FORMAT, await fileStamp((await findProgram(spec.binary)) ?? spec.binary), await fileStamp(request.kernel), await fileStamp(request.initrd), machine.join('\0')]);
  return join(cacheDir, 'snapshots', `${key}${VMSTATE_EXT}`);
}

/** Checks of snapshot files by identity (device, inode, size, birth time): guests side by side check one file once. */
const checks = new Map<string, Promise<{ damaged: string | null; readable: boolean }>>();
/** Damaged snapshot files by the same identity: said and removed once. */
const condemned = new Map<string, Promise<void>>();
/** Snapshot files a guest of this process is saving: the others boot without saving. */
const saving = new Set<string>();
let uses = 0;
/** Snapshot folders swept of what dead vmaspec processes left there (once per process). */
const swept = new Set<string>();

export interface Held {
  /** The path QEMU reads: a private hard link, or the file itself where no link can be made (a read-only cache). */
  path: string;
  /** The same for its RAM file. */
  ram: string;
  /** The file's identity (device, inode, size, birth time). */
  id: string;
  ino: number;
  release: () => Promise<void>;
}

/** Says once, for all guests, that the snapshot `file` is damaged, and removes it (and its RAM) if it is still that inode (another process may have saved a good one since). */
function condemn(file: string, held: Pick<Held, 'id' | 'ino'>, why: string, log: Logger): Promise<void> {
  let done = condemned.get(held.id);
  if (!done) {
    done = (async (): Promise<void> => {
      log.info(`qemu: the snapshot ${file} is damaged (${why}); removed, booting instead (a new one is saved)`);
      if ((await stat(file).catch(() => null))?.ino === held.ino) await rm(file, { force: true });
      await rm(ramFileOf(file, held.ino), { force: true });
    })();
    condemned.set(held.id, done);
  }
  return done;
}

/** A private hard link to `file` for this restore: its path; `file` itself where no link can be made (a read-only cache); null when there is no file. */
async function privateLink(file: string): Promise<{ path: string; release: () => Promise<void> } | null> {
  const own = `${file}.use-${process.pid}-${++uses}`;
  const linked = await link(file, own).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : false),
  );
  if (linked === null) return null;
  return { path: linked ? own : file, release: async () => (linked ? rm(own, { force: true }) : undefined) };
}

/** Holds the snapshot for a restore; null when there is none, or it is damaged (then removed, and said once). */
export async function holdSnapshot(file: string, ramBytes: number, log: Logger): Promise<Held | null> {
  const dir = join(file, '..');
  if (!swept.has(dir)) {
    swept.add(dir);
    await pruneSnapshots(dir, KEEP);
  }
  const state = await privateLink(file);
  if (!state) return null;
  const { path } = state;
  let ram: Awaited<ReturnType<typeof privateLink>> = null;
  const release = async (): Promise<void> => {
    await state.release();
    await ram?.release();
  };
  const s = await stat(path).catch(() => null);
  if (!s) {
    await release();
    return null;
  }
  const id = `${s.dev}:${s.ino}:${s.size}:${s.birthtimeMs}`; // not mtime: each restore touches it
  const ramFile = ramFileOf(file, s.ino);
  const missing = `its RAM file ${ramFile} is missing`;
  ram = await privateLink(ramFile);
  const ramPath = ram?.path;
  let check = checks.get(id);
  if (!check) {
    check = Promise.all([checkVmState(path), ramPath ? checkRamFile(ramPath, ramBytes) : missing]).then(
      ([state, ram]) => ({ damaged: state ?? ram, readable: true }),
      (error: unknown) => {
        // The host's fault (EACCES, EIO …), not the snapshot's: kept.
        log.info(`qemu: cannot read the snapshot ${file} (${error instanceof Error ? error.message : String(error)}); booting instead, the file is kept`);
        return { damaged: null, readable: false };
      },
    );
    checks.set(id, check);
  }
  const { damaged, readable } = await check;
  if (damaged || !readable || !ramPath) {
    if (readable) await condemn(file, { id, ino: s.ino }, damaged ?? missing, log);
    await release();
    return null;
  }
  await utimes(file, new Date(), new Date()).catch(() => undefined); // recently used: kept longest
  return { path, ram: ramPath, id, ino: s.ino, release };
}

/**
 * Boots the guest of `request` through its snapshot `file`: restores it when it
 * exists and is whole; else boots, and saves it at the park unless another guest
 * of this run is saving it. A snapshot QEMU refuses is removed and the guest
 * booted instead; a QEMU that failed before it read the snapshot (the host's
 * fault) leaves it alone, and its outcome says what QEMU said.
 */
export async function bootFromSnapshot(spec: ArchSpec, request: BootRequest, file: string, options: BootOptions): Promise<BootOutcome> {
  const held = await holdSnapshot(file, spec.memoryMib * 1024 * 1024, options.log);
  if (held) {
    let outcome: BootOutcome;
    try {
      outcome = await withMonitorSocket((qmp) => bootGuest(spec, { ...request, qmp, snapshot: { mode: 'restore', path: held.path, ram: held.ram } }, options));
    } finally {
      await held.release();
    }
    const failed = outcome.restoreFailed;
    // Cancelled (Ctrl-C): the snapshot is not to blame, and nothing more is to run.
    if (failed === null || outcome.cancelled || options.signal?.aborted) return outcome;
    if (!failed.rejected) {
      options.log.info(`qemu: QEMU failed before it could read the snapshot (${failed.why}); the snapshot is kept`);
      return outcome;
    }
    const detail = outcome.stderr.trim() ? `: ${outcome.stderr.trim().split('\n').at(-1)}` : '';
    await condemn(file, held, `QEMU did not restore it: ${failed.why}${detail}`, options.log);
  }
  await mkdir(join(file, '..'), { recursive: true });
  if (saving.has(file)) return bootGuest(spec, request, options);
  saving.add(file);
  // The booted guest's RAM while it runs: a shared file in the temp folder, copied into the cache when saved.
  const liveRam = join(tmpdir(), `vmaspec-ram-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    return await withMonitorSocket((qmp) => bootGuest(spec, { ...request, qmp, snapshot: { mode: 'save', path: file, ram: liveRam } }, options));
  } finally {
    await rm(liveRam, { force: true });
    saving.delete(file);
    await pruneSnapshots(join(file, '..'), KEEP);
  }
}

/**
 * Removes all but the `keep` most recently used snapshots in `dir` (with their RAM files), RAM
 * files whose state is gone, and what dead vmaspec processes left of restores and saves.
 */
export async function pruneSnapshots(dir: string, keep: number): Promise<void> {
  const all = await readdir(dir).catch(() => [] as string[]);
  const leftovers = all.filter((n) => leftByDead(n, USING_SUFFIX) || leftByDead(n, SAVING_SUFFIX));
  const names = all.filter((n) => n.endsWith(VMSTATE_EXT));
  const dated = await Promise.all(names.map(async (n) => ({ name: n, s: await stat(join(dir, n)).catch(() => null) })));
  dated.sort((a, b) => (b.s?.mtimeMs ?? 0) - (a.s?.mtimeMs ?? 0));
  const kept = new Set(dated.slice(0, keep).flatMap(({ name, s }) => (s ? [`${name.slice(0, -VMSTATE_EXT.length)}.${s.ino}`] : [])));
  const orphans = all.filter((n) => {
    const ram = ramInode(n);
    return ram !== null && !kept.has(`${ram.key}.${ram.ino}`);
  });
  await Promise.all([...dated.slice(keep).map((d) => d.name), ...orphans, ...leftovers].map((name) => rm(join(dir, name), { force: true })));
}
