// c-helpers/newc.h, the guest's unpacker of the run's payload, compiled on the host
// and fed archives from runner/guest/cpio.ts (the writer the runs use).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCpio } from '../../runner/guest/cpio.js';
import { payloadEntries } from '../../runner/guest/initramfs.js';
import { repoRoot } from '../../runner/qemu/arch.js';

describe('newc.h unpacks what cpio.ts writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmaspec-newc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const driver = join(dir, 'newc-driver');
  const unpack = (archive: Buffer, root: string): { status: number | null; out: string } => {
    const r = spawnSync(driver, [root], { input: archive });
    return { status: r.status, out: r.stdout.toString().trim() };
  };

  beforeAll(() => {
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-I', join(repoRoot, 'c-helpers'), '-o', driver, join(repoRoot, 'test/fixtures/c/newc-driver.c')]);
  });

  it('a payload: directories, plans, the manifest and a probe with its mode, byte for byte', () => {
    const plan = { index: 0, windowPages: 4, timeoutMs: 5000, ops: [{ op: 'snapshot' as const, step: 0 }] };
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]); // odd length: padding follows
    const root = mkdtempSync(join(dir, 'root-'));
    expect(unpack(writeCpio(payloadEntries([plan], [{ index: 1, timeoutMs: 7000, data: elf }], Buffer.alloc(32, 0xa5))), root)).toEqual({ status: 0, out: '' });
    expect(readFileSync(join(root, 'vmaspec/manifest'), 'utf8')).toBe('0 5000 /vmaspec/cases/0.plan\n1 7000 exec /vmaspec/probes/1\n');
    expect(readFileSync(join(root, 'vmaspec/cases/0.plan'), 'utf8')).toMatch(/^vmaspec-plan 1\nwindow 4\n0 snapshot\n$/);
    expect(readFileSync(join(root, 'vmaspec/probes/1'))).toEqual(elf);
    expect(statSync(join(root, 'vmaspec/probes/1')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(root, 'vmaspec/seed'))).toEqual(Buffer.alloc(32, 0xa5));
  });

  it('a truncated archive is an error naming the file that runs off the end', () => {
    const archive = writeCpio([{ type: 'file', path: 'big', data: Buffer.alloc(1000, 1) }]);
    const r = unpack(archive.subarray(0, 300), mkdtempSync(join(dir, 'root-')));
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/\/big: 1000 bytes past the archive's end$/);
  });

  it('no trailer, garbage, or a device node are errors too', () => {
    const root = mkdtempSync(join(dir, 'root-'));
    expect(unpack(Buffer.from('not a cpio archive at all, but long enough to hold a header of 110 bytes......................................'), root)).toEqual({ status: 1, out: 'no newc header at byte 0' });
    const noTrailer = writeCpio([{ type: 'dir', path: 'd' }]);
    expect(unpack(noTrailer.subarray(0, noTrailer.length - 124), root).out).toMatch(/^no newc header at byte \d+$/);
    expect(unpack(writeCpio([{ type: 'chardev', path: 'console', major: 5, minor: 1 }]), root).out).toMatch(/console: mode 20600 is neither a directory nor a regular file$/);
  });
});
