// The kernel this machine runs (`vmaspec run --kernel host`): its release as uname gives it,
// its architecture, its page size and, where the machine keeps it, its .config —
// /boot/config-$(uname -r) (distributions) or /proc/config.gz (CONFIG_IKCONFIG_PROC).
// Without either, Kconfig guards cannot be decided: runner/host/policy.ts skips the cases
// that have them.
import { readFile } from 'node:fs/promises';
import { machine, release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { VmaspecError } from '../errors.js';
import { contentKey } from '../kernel/cache.js';
import { parseKconfig } from '../kernel/kconfig.js';

/** What a run knows of the running kernel. */
export interface RunningKernel {
  /** `uname -r`, e.g. `6.18.44-fc-v1252`. */
  release: string;
  /** `uname -m`, e.g. `x86_64`. */
  machine: string;
  /** The page size the kernel gives processes (AT_PAGESZ). */
  pageSize: number;
  /** Its .config (option without `CONFIG_` → value), or null when the machine keeps none. */
  config: Map<string, string> | null;
  /** Where the .config came from, or null. */
  configSource: string | null;
  /** The .config text, for the artifacts folder. */
  configText: string | null;
  /** A key over release and .config, the run report's kernel id. */
  key: string;
}

/** Where a running kernel's .config may be, in the order they are tried. */
export function configCandidates(kernelRelease: string): string[] {
  return [`/boot/config-${kernelRelease}`, '/proc/config.gz'];
}

/** The .config text of a candidate file (gzip-compressed when it ends in .gz), or null when it cannot be read. */
async function readConfig(file: string): Promise<string | null> {
  try {
    const bytes = await readFile(file);
    return file.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  } catch {
    return null;
  }
}

const AT_NULL = 0n;
const AT_PAGESZ = 6n;

/** AT_PAGESZ of an auxiliary vector (/proc/self/auxv of a 64-bit process: pairs of little-endian u64), or null. */
export function pageSizeFromAuxv(auxv: Uint8Array): number | null {
  const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  for (let at = 0; at + 16 <= auxv.byteLength; at += 16) {
    const type = view.getBigUint64(at, true);
    if (type === AT_NULL) return null;
    if (type === AT_PAGESZ) return Number(view.getBigUint64(at + 8, true));
  }
  return null;
}

/** The running kernel's facts; the .config is the first candidate that can be read. */
export async function runningKernel(): Promise<RunningKernel> {
  const kernelRelease = release();
  const pageSize = pageSizeFromAuxv(await readFile('/proc/self/auxv'));
  if (pageSize === null) throw new VmaspecError('E_HOST', 'the running kernel gave no page size (AT_PAGESZ in /proc/self/auxv)');
  for (const file of configCandidates(kernelRelease)) {
    const text = await readConfig(file);
    if (text === null) continue;
    return { release: kernelRelease, machine: machine(), pageSize, config: parseKconfig(text), configSource: file, configText: text, key: contentKey(['host', kernelRelease, text]) };
  }
  return { release: kernelRelease, machine: machine(), pageSize, config: null, configSource: null, configText: null, key: contentKey(['host', kernelRelease]) };
}

/** One line for the log: the release and where its configuration came from, or what its absence means. */
export function describeRunningKernel(k: RunningKernel): string {
  const where = k.configSource ? `config ${k.configSource}` : `no config (${configCandidates(k.release).join(' and ')} missing): cases with Kconfig guards are skipped`;
  return `kernel: host ${k.release} (${k.machine}, the running kernel; ${where})`;
}
