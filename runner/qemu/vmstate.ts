// Saving and restoring a guest's whole state through QMP's migration commands,
// to and from a file (QEMU's `exec:` transport), with the guest's RAM in a file
// of its own beside it. The RAM is not in the stream (the x-ignore-shared
// capability skips a shared memory backend): a booted guest runs on a shared
// file, copied (holes for zeros) when it is saved; a restore maps that copy
// privately, so it reads only the pages the guest touches. Measured here: a
// restore had QEMU write every page of its 256 MiB (peak RSS ~300 MiB) when the
// RAM came through the stream (QEMU 7.2 writes zero pages too).
import { randomUUID } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { VmaspecError } from '../errors.js';
import { shellQuote } from '../util/exec.js';
import type { Qmp } from './qmp.js';

/** How long QEMU may take to load a saved state (~0.1 s here; an unreadable stream can leave it waiting forever). */
const RESTORE_MS = 30_000;
/** The stream's header: QEMU_VM_FILE_MAGIC ("QEVM") and QEMU_VM_FILE_VERSION 3. */
const MAGIC = Buffer.from([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3]);
/** Its end: QEMU_VM_VMDESCRIPTION (6), a big-endian 32-bit length, then that many bytes of JSON (the device description). */
const VMDESC = 6;
/** The tail read to find that description (it is ~16 KiB for the microvm guest). */
const TAIL_BYTES = 256 * 1024;

/** Temp files of a save in progress are named `<path>.tmp-<pid>-<random>` (a dead pid's are leftovers). */
export const SAVING_SUFFIX = /\.tmp-(\d+)-[0-9a-f]+$/;

/** The snapshot file name's ending; its RAM file is named by its inode (`ramFileOf`). */
export const VMSTATE_EXT = '.vmstate';
const RAM_EXT = '.ram';

/**
 * The RAM file of the state saved at `path` whose inode is `ino`: `<key>.<ino>.ram`. Named by
 * the inode, a state and its RAM always pair: a restore that holds the state file holds its
 * inode, which no other state can have until this one is gone.
 */
export const ramFileOf = (path: string, ino: number | bigint): string => `${path.slice(0, -VMSTATE_EXT.length)}.${ino}${RAM_EXT}`;

/** The inode a RAM file of the snapshots folder is named by, or null when `name` is not one. */
export function ramInode(name: string): { key: string; ino: string } | null {
  const m = /^(.+)\.(\d+)\.ram$/.exec(name);
  return m ? { key: m[1] ?? '', ino: m[2] ?? '' } : null;
}

/** The migration capability that leaves the shared RAM backend out of the stream; set on both sides. */
const IGNORE_SHARED = { capabilities: [{ capability: 'x-ignore-shared', state: true }] };

/** Copy unit of a RAM file: a block of zeros becomes a hole. */
const RAM_BLOCK = 64 * 1024;

/** Copies the RAM file `from` to `to` (created), leaving a hole for each block of zeros; returns the bytes written. */
async function copySparse(from: string, to: string): Promise<number> {
  const src = await open(from, 'r');
  const dst = await open(to, 'wx');
  try {
    const size = (await src.stat()).size;
    const buf = Buffer.alloc(4 * 1024 * 1024);
    const zero = Buffer.alloc(RAM_BLOCK);
    let written = 0;
    for (let at = 0; at < size; ) {
      const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, size - at), at);
      if (bytesRead === 0) throw new VmaspecError('E_QMP', `the guest's RAM file ${from} ended at ${at} of ${size} bytes`);
      for (let off = 0; off < bytesRead; off += RAM_BLOCK) {
        const block = buf.subarray(off, Math.min(off + RAM_BLOCK, bytesRead));
        if (block.equals(zero.subarray(0, block.length))) continue;
        await dst.write(block, 0, block.length, at + off);
        written += block.length;
      }
      at += bytesRead;
    }
    await dst.truncate(size);
    await dst.sync();
    return written;
  } finally {
    await src.close();
    await dst.close();
  }
}

/** Why the RAM file of a snapshot is not whole (missing, or not `bytes` long); null when it is. */
export async function checkRamFile(path: string, bytes: number): Promise<string | null> {
  const s = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!s) return `its RAM file ${path} is missing`;
  return s.size === bytes ? null : `its RAM file is ${s.size} bytes, not ${bytes}`;
}

/**
 * Why the file at `path` is not a whole QEMU migration stream (no header, or no
 * device description ending exactly at the end: empty, garbage, truncated);
 * null when it looks whole. Damage inside the stream is found by QEMU on load.
 */
export async function checkVmState(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const head = Buffer.alloc(MAGIC.length);
    await file.read(head, 0, head.length, 0);
    if (size < MAGIC.length || !head.equals(MAGIC)) return `no QEMU migration header (${size} bytes)`;
    const tailSize = Math.min(size, TAIL_BYTES);
    const tail = Buffer.alloc(tailSize);
    await file.read(tail, 0, tailSize, size - tailSize);
    for (let at = tail.lastIndexOf('{'); at >= 5; at = tail.lastIndexOf('{', at - 1)) {
      if (tail[at - 5] !== VMDESC || tail.readUInt32BE(at - 4) !== tailSize - at) continue;
      try {
        JSON.parse(tail.subarray(at).toString('utf8'));
        return null;
      } catch {
        break;
      }
    }
    return `no device description at its end (${size} bytes: cut short?)`;
  } finally {
    await file.close();
  }
}

/** No rate limit: the stream goes to a local file (QEMU's default is 32 MiB/s for a network link). */
const MAX_BANDWIDTH = 64 * 1024 ** 3;

/**
 * Stops the guest, writes its state to `path` and a copy of its RAM (the shared file `ram`)
 * to `ramFileOf(path, …)`, and lets it run on. The RAM file is in place before the state
 * file appears (both renamed into place), so a state file always has its RAM.
 */
export async function saveVmState(qmp: Qmp, path: string, ram: string): Promise<void> {
  const nonce = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const tmp = `${path}.tmp-${nonce}`;
  let ramTmp: string | null = null;
  await qmp.execute('stop');
  try {
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': MAX_BANDWIDTH });
    await qmp.execute('migrate-set-capabilities', IGNORE_SHARED);
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(tmp)}` });
    await poll(qmp, 'query-migrate', (r) =>
      r.status === 'completed' || (r.status === 'failed' || r.status === 'cancelled' ? `saving the VM state: ${r['error-desc'] ?? r.status}` : false),
    );
    const damaged = await checkVmState(tmp);
    if (damaged) throw new VmaspecError('E_QMP', `the saved VM state does not check: ${damaged}`);
    const ramFile = ramFileOf(path, (await stat(tmp)).ino);
    ramTmp = `${ramFile}.tmp-${nonce}`;
    await copySparse(ram, ramTmp);
    await rename(ramTmp, ramFile);
    ramTmp = null;
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    if (ramTmp) await rm(ramTmp, { force: true });
    throw error;
  } finally {
    await qmp.execute('cont');
  }
}

/** Loads the state saved at `path` into a QEMU started with `-incoming defer` and its RAM file, then lets the guest run (it was saved stopped). */
export async function restoreVmState(qmp: Qmp, path: string): Promise<void> {
  await qmp.execute('migrate-set-capabilities', IGNORE_SHARED);
  await qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(path)}` });
  const deadline = Date.now() + RESTORE_MS;
  await poll(qmp, 'query-status', (r) =>
    r.status === 'paused' || (r.status !== 'inmigrate' ? `restoring the VM state: the guest is ${r.status}` : Date.now() > deadline ? `restoring the VM state: not loaded after ${RESTORE_MS / 1000} s` : false),
  );
  await qmp.execute('cont');
}

type StatusReply = { status?: string; 'error-desc'?: string };

/** Asks `command` every 2 ms until `check` says done (true); false: not yet; a string: the error. */
async function poll(qmp: Qmp, command: string, check: (reply: StatusReply) => boolean | string): Promise<void> {
  for (;;) {
    const verdict = check((await qmp.execute(command)) as StatusReply);
    if (verdict === true) return;
    if (typeof verdict === 'string') throw new VmaspecError('E_QMP', verdict);
    await sleep(2);
  }
}
