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
    for (;;) {
      const state = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
      if (state.status === 'completed') break;
      if (state.status === 'failed' || state.status === 'cancelled') throw new VmaspecError('E_QMP', `saving the VM state: ${state['error-desc'] ?? state.status}`);
      await sleep(2);
    }
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
  for (;;) {
    const { status } = (await qmp.execute('query-status')) as { status: string };
    if (status === 'paused') break;
    if (status !== 'inmigrate') throw new VmaspecError('E_QMP', `restoring the VM state: the guest is ${status}`);
    await sleep(2);
  }
  await qmp.execute('cont');
}
