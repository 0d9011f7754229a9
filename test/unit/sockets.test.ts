// runner/qemu/sockets.ts: a TMPDIR that cannot hold QEMU's monitor socket is
// E_TMPDIR (never a damaged snapshot), and no socket outlives its use or a dead vmaspec.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { socketDir, withMonitorSocket } from '../../runner/qemu/sockets.js';

const saved = process.env.TMPDIR;
afterEach(() => {
  if (saved === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = saved;
});

describe('socketDir', () => {
  it('a missing, a non-directory and a too long TMPDIR are E_TMPDIR saying what to do', async () => {
    process.env.TMPDIR = '/nonexistent';
    await expect(socketDir()).rejects.toMatchObject({ code: 'E_TMPDIR', message: 'TMPDIR=/nonexistent: no such directory' });
    await expect(socketDir()).rejects.toMatchObject({ details: expect.arrayContaining([expect.stringMatching(/mkdir -p \/nonexistent/)]) });
    const base = await mkdtemp(join(saved ?? '/tmp', 'vmaspec-sock-'));
    try {
      await writeFile(join(base, 'file'), '');
      process.env.TMPDIR = join(base, 'file');
      await expect(socketDir()).rejects.toMatchObject({ code: 'E_TMPDIR', message: expect.stringMatching(/not a directory$/) });
      process.env.TMPDIR = join(base, 'x'.repeat(100));
      await expect(socketDir()).rejects.toMatchObject({ code: 'E_TMPDIR' });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('withMonitorSocket', () => {
  it('removes the socket after use, also when the use failed, and the sockets of dead vmaspec processes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmaspec-sock-'));
    try {
      process.env.TMPDIR = dir;
      const stale = join(dir, 'vmaspec-qmp-999999999-1.sock'); // no such process
      const live = join(dir, `vmaspec-qmp-${process.ppid}-1.sock`); // a live process's: kept
      await writeFile(stale, '');
      await writeFile(live, '');
      let used = '';
      await expect(
        withMonitorSocket(async (path) => {
          used = path;
          await writeFile(path, ''); // as QEMU would create it
          throw new Error('QEMU failed');
        }),
      ).rejects.toThrow('QEMU failed');
      expect(used.startsWith(join(dir, `vmaspec-qmp-${process.pid}-`))).toBe(true);
      expect(existsSync(used)).toBe(false);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
