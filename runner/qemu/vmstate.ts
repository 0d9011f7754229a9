// Saving and restoring a guest's whole state through QMP's migration commands,
// to and from a file (QEMU's `exec:` transport; a migration stream sends zero
// pages as flags, so the file holds only the memory the guest used).
import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
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

/** Stops the guest, writes its state to `path` (atomically) and lets it run on. */
export async function saveVmState(qmp: Qmp, path: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  await qmp.execute('stop');
  try {
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': MAX_BANDWIDTH });
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(tmp)}` });
    await poll(qmp, 'query-migrate', (r) =>
      r.status === 'completed' || (r.status === 'failed' || r.status === 'cancelled' ? `saving the VM state: ${r['error-desc'] ?? r.status}` : false),
    );
    const damaged = await checkVmState(tmp);
    if (damaged) throw new VmaspecError('E_QMP', `the saved VM state does not check: ${damaged}`);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  } finally {
    await qmp.execute('cont');
  }
}

/** Loads the state saved at `path` into a QEMU started with `-incoming defer`, then lets the guest run (it was saved stopped). */
export async function restoreVmState(qmp: Qmp, path: string): Promise<void> {
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
