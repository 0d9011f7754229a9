// A guest restored from its snapshot before a command needs it, parked and warm
// (docs/serve.md): the command server's spare worker keeps one, and a run whose
// guests would restore the very same snapshot takes it (bootFromSnapshot) instead
// of starting QEMU. Its first cases were a warm-up (`w`, docs/protocol.md): TCG
// translates the kernel's code anew after a restore, so a restored guest's first
// case runs about twice as long as the same case later.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePayload } from '../guest/initramfs.js';
import type { Logger } from '../log.js';
import { removeLeftovers } from '../util/lock.js';
import type { ArchSpec } from './arch.js';
import { qemuArgv, type BootRequest } from './argv.js';
import { channelLines, channelPayload, PARKED, QMP_CONNECT_MS, spawnQemu, type ParkedQemu, type QemuProcess } from './boot.js';
import { Qmp } from './qmp.js';
import { holdSnapshot } from './snapshot.js';
import { monitorSocket } from './sockets.js';
import { restoreVmState } from './vmstate.js';

/** How long a warm-up may take to run. */
const WARM_UP_MS = 30_000;

/** What to park: the guest's machine as a run would start it, its snapshot, and the archive of the warm-up's cases (none: no warm-up). */
export interface ParkRequest {
  spec: ArchSpec;
  machine: Pick<BootRequest, 'kernel' | 'initrd' | 'accel' | 'append' | 'results'>;
  snapshot: string;
  warmUp: string | null;
  log: Logger;
}

/** The parked guest, once ready, the snapshot it came from, and the largest archive it takes (its channel's `parked_archive_kib`, in bytes). */
let ready: { snapshot: string; guest: ParkedQemu; archiveMax: number } | null = null;
/** The QEMU being restored or warmed now. */
let parking: QemuProcess | null = null;

/** The parked guest restored from `snapshot`, taken for the archive `payload` (a guest runs one command only); null when none is ready for it, or the archive is better sent through fw_cfg. */
export async function takeParked(snapshot: string, payload: string): Promise<ParkedQemu | null> {
  const usable = (): ParkedQemu | null => (ready !== null && ready.snapshot === snapshot && ready.guest.child.exitCode === null ? ready.guest : null);
  // Most runs have no server: the archive's size is read only when a guest waits for it.
  const max = ready?.archiveMax ?? 0;
  if (usable() === null || (await stat(payload)).size > max) return null;
  const guest = usable(); // again: it may have ended meanwhile
  if (guest === null) return null;
  ready = null;
  taken.add(guest);
  return guest;
}

/** Parked guests given to a run: the run releases what they hold (bootGuest), not the parker. */
const taken = new WeakSet<ParkedQemu>();
/** The parked guests not taken, until they have ended and what they held is removed. */
const ending = new Set<Promise<unknown>>();

/** Set by dropParked: nothing more is parked in this process (a worker parks once; dropped, its guest is not wanted). */
let dropped = false;

/** Stops the guest being parked, and the parked one unless `keepReady` (a command that will not use them must not share the CPU with them); resolves once they are gone. */
export async function dropParked(keepReady = false): Promise<void> {
  dropped = true;
  parking?.kill('SIGKILL');
  parking = null;
  if (!keepReady) {
    ready?.guest.child.kill('SIGKILL');
    ready = null;
  }
  await Promise.all(ending);
}

/** A parked guest's folder in the temp folder (its console, its placeholder archive): `vmaspec-parked-<pid>-<random>`. */
const DIR_PREFIX = 'vmaspec-parked-';
const DIR_NAME = new RegExp(`^${DIR_PREFIX}(\\d+)-`);

/** Restores the snapshot into a new QEMU, runs the warm-up in it and keeps it parked; false (and nothing left running) when it cannot. */
export async function parkGuest(request: ParkRequest): Promise<boolean> {
  const { spec, log } = request;
  if (dropped) return false;
  const held = await holdSnapshot(request.snapshot, spec.memoryMib * 1024 * 1024, log);
  if (!held) return false;
  const socket = await monitorSocket();
  await removeLeftovers(tmpdir(), DIR_NAME); // those of workers killed before they could
  const dir = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  const consoleLog = join(dir, 'console.log');
  const release = async (): Promise<void> => {
    await held.release();
    await socket.release();
    await rm(dir, { recursive: true, force: true });
  };
  let child: QemuProcess | null = null;
  try {
    // fw_cfg needs a file; the cases come over the channel.
    const placeholder = join(dir, 'payload.cpio');
    await writePayload(placeholder, []);
    const args = qemuArgv(spec, { ...request.machine, consoleLog, payload: placeholder, qmp: socket.path, snapshot: { mode: 'restore', path: held.path, ram: held.ram } });
    ({ child } = await spawnQemu(spec, args, log));
    if (dropped) throw new Error('dropped while parking'); // before QEMU was there to be killed
    parking = child;
    const running = child;
    let onLine: (line: string) => void = () => undefined;
    const lines = channelLines((line) => onLine(line));
    child.stdout?.on('data', lines.data);
    const gone = running.then((r) => {
      throw new Error(`QEMU ended (exit ${r.exitCode ?? r.signal}): ${String(r.stderr ?? '').trim().split('\n').at(-1) ?? ''}`);
    });
    gone.catch(() => undefined);
    const qmp = await Promise.race([Qmp.connect(socket.path, QMP_CONNECT_MS), gone]);
    try {
      await Promise.race([restoreVmState(qmp, held.path), gone]);
    } finally {
      qmp.close();
    }
    if (request.warmUp) {
      const archive = await readFile(request.warmUp);
      const warmed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the warm-up did not end in ${WARM_UP_MS / 1000} s`)), WARM_UP_MS);
        let ended = false;
        onLine = (line) => {
          if (line === 'D') ended = true;
          else if (line === PARKED && ended) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      running.stdin?.write(channelPayload('w', archive));
      await Promise.race([warmed, gone]);
    }
    if (parking !== running) throw new Error('dropped while parking');
    parking = null;
    const offset = (await stat(consoleLog)).size;
    onLine = () => undefined;
    const guest: ParkedQemu = {
      child: running,
      attach: (take) => {
        onLine = take;
        return { rest: lines.rest };
      },
      console: { path: consoleLog, offset },
      release,
    };
    ready = { snapshot: request.snapshot, guest, archiveMax: request.machine.results.parkedArchiveKib * 1024 };
    // A parked guest that dies meanwhile (or is dropped) is not handed out, and leaves nothing behind.
    const end = running.then(async () => {
      if (ready?.guest === guest) ready = null;
      if (!taken.has(guest)) await release();
    });
    ending.add(end);
    void end.finally(() => ending.delete(end));
    log.verbose(`serve: a guest of ${request.snapshot} is parked${request.warmUp ? ' and warm' : ''} (QEMU ${running.pid})`);
    return true;
  } catch (error) {
    log.verbose(`serve: no parked guest: ${error instanceof Error ? error.message : String(error)}`);
    if (child) {
      child.kill('SIGKILL');
      await child.catch(() => undefined);
    }
    if (parking === child) parking = null;
    await release();
    return false;
  }
}
