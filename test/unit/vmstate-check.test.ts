// runner/qemu/vmstate.ts checkVmState: a snapshot file is a whole QEMU migration
// stream (header, then the device description ending exactly at the end), or why not.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkVmState } from '../../runner/qemu/vmstate.js';

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'vmaspec-vmstate-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A stream shaped like QEMU's: magic, version 3, `body`, QEMU_VM_EOF, QEMU_VM_VMDESCRIPTION with its JSON. */
function stream(body: Buffer, json = '{"page_size": 4096, "devices": [{"name": "ram"}]}'): Buffer {
  const desc = Buffer.from(json);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(desc.length);
  return Buffer.concat([Buffer.from('QEVM'), Buffer.from([0, 0, 0, 3]), body, Buffer.from([0x01, 0x06]), len, desc]);
}

const file = async (name: string, data: Buffer | string): Promise<string> => {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
};

describe('checkVmState', () => {
  it('a whole stream checks, even with braces and noise in its memory', async () => {
    const noise = Buffer.alloc(300_000, 0x7b); // '{' everywhere
    expect(await checkVmState(await file('whole', stream(noise)))).toBeNull();
  });

  it('empty, garbage, a wrong version and a cut-short stream do not', async () => {
    expect(await checkVmState(await file('empty', ''))).toMatch(/no QEMU migration header \(0 bytes\)/);
    expect(await checkVmState(await file('garbage', 'not a migration stream'))).toMatch(/no QEMU migration header/);
    const v2 = stream(Buffer.alloc(10));
    v2[7] = 2;
    expect(await checkVmState(await file('v2', v2))).toMatch(/no QEMU migration header/);
    const whole = stream(Buffer.alloc(100_000, 1));
    expect(await checkVmState(await file('cut', whole.subarray(0, whole.length - 1)))).toMatch(/no device description at its end/);
    expect(await checkVmState(await file('half', whole.subarray(0, whole.length / 2)))).toMatch(/cut short/);
    expect(await checkVmState(await file('bad-json', stream(Buffer.alloc(10), '{"page_size": 4096, "devices": [}')))).toMatch(/no device description/);
  });

  it('a missing file is an error (the caller tells it from damage)', async () => {
    await expect(checkVmState(join(dir, 'absent'))).rejects.toThrow(/ENOENT/);
  });
});
