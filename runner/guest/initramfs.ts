// The initramfs of one boot: the supervisor, the probe, the manifest and the plans (docs/protocol.md).
import { readFile, writeFile } from 'node:fs/promises';
import { manifestLine, serializePlan, type CasePlan } from '../plan/plan.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import type { HelperBinaries } from './helpers.js';

/** The archive entries for these binaries and plans (pure). */
export function initramfsEntries(binaries: Record<keyof HelperBinaries, Uint8Array>, plans: CasePlan[]): CpioEntry[] {
  const text = (s: string): Uint8Array => Buffer.from(s);
  return [
    { type: 'dir', path: 'dev' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'init', data: binaries.init, mode: 0o755 },
    { type: 'file', path: 'bin/vmaprobe', data: binaries.vmaprobe, mode: 0o755 },
    { type: 'dir', path: 'vmaspec' },
    { type: 'dir', path: 'vmaspec/cases' },
    { type: 'file', path: 'vmaspec/manifest', data: text(plans.map((p) => `${manifestLine(p)}\n`).join('')) },
    ...plans.map((p): CpioEntry => ({ type: 'file', path: `vmaspec/cases/${p.index}.plan`, data: text(serializePlan(p)) })),
  ];
}

/** Writes the initramfs for these plans to `path`. */
export async function writeInitramfs(path: string, binaries: HelperBinaries, plans: CasePlan[]): Promise<void> {
  const [init, vmaprobe] = await Promise.all([readFile(binaries.init), readFile(binaries.vmaprobe)]);
  await writeFile(path, writeCpio(initramfsEntries({ init, vmaprobe }, plans)));
}
