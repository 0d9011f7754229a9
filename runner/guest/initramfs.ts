// What the guest gets (docs/protocol.md): the initramfs, the same for every run of
// these helpers (so a VM snapshot taken after boot serves them all), and the run's
// payload (manifest, plans, custom probes, RNG seed), which init reads from fw_cfg.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentKey } from '../kernel/cache.js';
import { manifestLine, serializePlan, type CasePlan } from '../plan/plan.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { HelperBinaries } from './helpers.js';

/** A case that runs its own probe binary instead of vmaprobe (manifest `exec`). */
export interface ProbeCase {
  index: number;
  timeoutMs: number;
  /** The built static binary on the host. */
  binary: string;
}

/** Where the custom probe of case `index` lives in the guest. */
export const probeGuestPath = (index: number): string => `/vmaspec/probes/${index}`;

/** The manifest line of a custom-probe case. */
export function probeManifestLine(p: Pick<ProbeCase, 'index' | 'timeoutMs'>): string {
  return `${p.index} ${p.timeoutMs} exec ${probeGuestPath(p.index)}`;
}

/** The initramfs entries: the supervisor, the probe and the mount points (pure). */
export function initramfsEntries(binaries: Record<keyof HelperBinaries, Uint8Array>): CpioEntry[] {
  return [
    { type: 'dir', path: 'dev' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'init', data: binaries.init, mode: 0o755 },
    { type: 'file', path: 'bin/vmaprobe', data: binaries.vmaprobe, mode: 0o755 },
  ];
}

/** The payload entries for these plans and custom probes (pure); the manifest runs them by index. */
export function payloadEntries(plans: CasePlan[], probes: (Omit<ProbeCase, 'binary'> & { data: Uint8Array })[], seed: Uint8Array): CpioEntry[] {
  const text = (s: string): Uint8Array => Buffer.from(s);
  const manifest = [
    ...plans.map((p) => ({ index: p.index, line: manifestLine(p) })),
    ...probes.map((p) => ({ index: p.index, line: probeManifestLine(p) })),
  ].sort((a, b) => a.index - b.index);
  return [
    { type: 'dir', path: 'vmaspec' },
    { type: 'dir', path: 'vmaspec/cases' },
    { type: 'dir', path: 'vmaspec/probes' },
    { type: 'file', path: 'vmaspec/seed', data: seed },
    { type: 'file', path: 'vmaspec/manifest', data: text(manifest.map((m) => `${m.line}\n`).join('')) },
    ...plans.map((p): CpioEntry => ({ type: 'file', path: `vmaspec/cases/${p.index}.plan`, data: text(serializePlan(p)) })),
    ...probes.map((p): CpioEntry => ({ type: 'file', path: probeGuestPath(p.index).slice(1), data: p.data, mode: 0o755 })),
  ];
}

/** The initramfs of these helpers, written once into the cache by content; its path. */
export async function cachedInitramfs(cacheDir: string, binaries: HelperBinaries): Promise<string> {
  const [init, vmaprobe] = await Promise.all([readFile(binaries.init), readFile(binaries.vmaprobe)]);
  const archive = writeCpio(initramfsEntries({ init, vmaprobe }));
  const path = join(cacheDir, 'initramfs', `${contentKey([archive])}.cpio`);
  if (!existsSync(path)) {
    await mkdir(join(cacheDir, 'initramfs'), { recursive: true });
    await writeFileAtomic(path, archive);
  }
  return path;
}

/** Writes the payload archive for these plans and custom probes to `path`, with a fresh seed. */
export async function writePayload(path: string, plans: CasePlan[], probes: ProbeCase[] = []): Promise<void> {
  const withData = await Promise.all(probes.map(async (p) => ({ index: p.index, timeoutMs: p.timeoutMs, data: await readFile(p.binary) })));
  await writeFile(path, writeCpio(payloadEntries(plans, withData, randomBytes(32))));
}
