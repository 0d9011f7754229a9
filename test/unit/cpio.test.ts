import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { writeCpio } from '../../runner/guest/cpio.js';
import { initramfsEntries, payloadEntries } from '../../runner/guest/initramfs.js';

describe('cpio newc writer', () => {
  const archive = writeCpio([
    { type: 'dir', path: 'dev' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    { type: 'file', path: 'odd', data: Buffer.from('abc') },
  ]);

  it('is read back by GNU cpio with names, modes, device numbers and sizes', () => {
    const listing = execFileSync('cpio', ['-t', '-v', '--quiet'], { input: archive }).toString();
    const rows = listing.trim().split('\n').map((l) => l.split(/\s+/));
    expect(rows.map((r) => r[0])).toEqual(['drwxr-xr-x', 'crw-------', '-rwxr-xr-x', '-rw-r--r--']);
    expect(rows.map((r) => r.at(-1))).toEqual(['dev', 'dev/console', 'init', 'odd']);
    expect(listing).toMatch(/5,\s+1/);
  });

  it('pads every record to 4 bytes and ends with the trailer', () => {
    expect(archive.length % 4).toBe(0);
    expect(archive.subarray(0, 6).toString()).toBe('070701');
    expect(archive.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
  });

  it('extracts file contents byte for byte', () => {
    const odd = execFileSync('cpio', ['-i', '--to-stdout', '--quiet', 'odd'], { input: archive }).toString();
    expect(odd).toBe('abc');
  });

  it('lays out the initramfs of docs/protocol.md: nothing of the run in it', () => {
    const bin = { init: Buffer.from('I'), vmaprobe: Buffer.from('P') };
    const paths = initramfsEntries(bin).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['init', 'bin/vmaprobe', 'dev/console', 'proc', 'sys', 'tmp']));
    expect(paths.filter((p) => p.startsWith('vmaspec'))).toEqual([]);
  });

  it('lays out the payload of docs/protocol.md: manifest, plans and the seed', () => {
    const plan = { index: 3, windowPages: 8, timeoutMs: 5000, ops: [{ op: 'snapshot' as const, step: 0 }] };
    const entries = payloadEntries([plan], [], Buffer.alloc(32, 7));
    const paths = entries.map((e) => e.path);
    expect(paths).toEqual(['vmaspec', 'vmaspec/cases', 'vmaspec/probes', 'vmaspec/seed', 'vmaspec/manifest', 'vmaspec/cases/3.plan']);
    const manifest = entries.find((e) => e.path === 'vmaspec/manifest');
    expect(manifest?.type === 'file' && Buffer.from(manifest.data).toString()).toBe('3 5000 /vmaspec/cases/3.plan\n');
  });
});
