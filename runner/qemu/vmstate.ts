// Saving and restoring a guest's whole state through QMP's migration commands,
// to and from a file (QEMU's `exec:` transport; a migration stream sends zero
// pages as flags, so the file holds only the memory the guest used).
import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { VmaspecError } from '../errors.js';
import { shellQuote } from '../util/exec.js';
import type { Qmp } from './qmp.js';

/** No rate limit: the stream goes to a local file (QEMU's default is 32 MiB/s for a network link). */
const MAX_BANDWIDTH = 64 * 1024 ** 3;

/** Stops the guest, writes its state to `path` (atomically) and lets it run on. */
export async function saveVmState(qmp: Qmp, path: string): Promise<void> {
  const tmp = `${path}.tmp-${randomUUID().slice(0, 8)}`;
  await qmp.execute('stop');
  try {
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': MAX_BANDWIDTH });
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(tmp)}` });
    await poll(qmp, 'query-migrate', (r) =>
      r.status === 'completed' || (r.status === 'failed' || r.status === 'cancelled' ? `saving the VM state: ${r['error-desc'] ?? r.status}` : false),
    );
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
  await poll(qmp, 'query-status', (r) => r.status === 'paused' || (r.status === 'inmigrate' ? false : `restoring the VM state: the guest is ${r.status}`));
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
