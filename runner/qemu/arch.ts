// Loads `qemu/<arch>.yaml`, the declarative QEMU facts of one architecture.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { VmaspecError } from '../errors.js';

export type Accel = 'kvm' | 'tcg';

/** A way out of the guest for the result stream (the supervisor's channel: docs/protocol.md), and what the kernel needs for it. */
export interface ResultsChannel {
  /** QEMU's `-device` values, in order; the last one gets `chardev=results`. */
  devices: string[];
  /** The device node the supervisor opens in the guest (told by `VMASPEC_RESULTS=` on the kernel command line). */
  node: string;
  /** The Kconfig options (without CONFIG_) the kernel must have built in (=y) for it. */
  needs: string[];
  /** The largest archive of cases a run hands a parked guest over this channel, in KiB (runner/qemu/parked.ts); larger ones start a QEMU of their own. */
  parkedArchiveKib: number;
}

export interface ArchSpec {
  arch: string;
  binary: string;
  /** The Debian package that installs `binary`. */
  package: string;
  kernelArch: string;
  kernelImage: string;
  pageSize: number;
  machine: string;
  machineOptions: string[];
  cpu: Record<Accel, string>;
  vcpus: Record<Accel, number>;
  memoryMib: number;
  consoleDevice: string;
  /** The result stream's channels, the preferred first; the last needs nothing of the kernel (resultsChannel picks one). */
  results: ResultsChannel[];
  kernelArgs: string[];
  /** The kernel argument that takes the TSC's rate in kHz, given under TCG (the host's rate: runner/qemu/host-tsc.ts); null: none is given. */
  tcgTscKhzArg: string | null;
  /** Runs may start guests from a saved snapshot of a booted one (runner/qemu/snapshot.ts). */
  snapshots: boolean;
  /** The Kconfig option a kernel needs to boot `kernelImage` on this machine (x86_64: PVH); null when any kernel boots. */
  imageNeeds: string | null;
  /** The machine a kernel without `imageNeeds` boots on instead (qemu/<otherwise>.yaml); null when there is none. */
  otherwise: ArchSpec | null;
}

/** The repository root: set by runner/bin/vmaspec.js (which runs a bundle kept in the cache), else from this file's place in runner/qemu/. */
export const repoRoot = process.env.VMASPEC_REPO_ROOT ?? new URL('../../', import.meta.url).pathname;

function field<T>(data: Record<string, unknown>, key: string, check: (v: unknown) => v is T, file: string, what: string): T {
  const value = data[key];
  if (!check(value)) throw new VmaspecError('E_USAGE', `${file}: ${key}: expected ${what}, got ${JSON.stringify(value)}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isPair =
  <T>(inner: (v: unknown) => v is T) =>
  (v: unknown): v is Record<Accel, T> =>
    typeof v === 'object' && v !== null && inner((v as Record<string, unknown>).tcg) && inner((v as Record<string, unknown>).kvm);

/** The name of a kernel command-line argument (`name=value` follows). */
const isArgName = (v: unknown): v is string => typeof v === 'string' && /^[a-z0-9_.-]+$/i.test(v);
const isOption = (v: unknown): v is string => typeof v === 'string' && /^[A-Z0-9_]+$/.test(v);
/** A channel as written (`parked_archive_kib`): `needs` may be left out (none). */
type WrittenChannel = Omit<ResultsChannel, 'needs' | 'parkedArchiveKib'> & { needs?: string[]; parked_archive_kib: number };
const isChannel = (v: unknown): v is WrittenChannel => {
  const c = v as Record<string, unknown>;
  return (
    typeof v === 'object' &&
    v !== null &&
    isStrings(c.devices) &&
    c.devices.length > 0 &&
    typeof c.node === 'string' &&
    /^\/dev\/[\w/-]+$/.test(c.node) &&
    (c.needs === undefined || (Array.isArray(c.needs) && c.needs.every(isOption))) &&
    isNumber(c.parked_archive_kib)
  );
};
/** Channels, the last one needing nothing: every kernel has a way out. */
const isChannels = (v: unknown): v is WrittenChannel[] => Array.isArray(v) && v.length > 0 && v.every(isChannel) && (v.at(-1)!.needs ?? []).length === 0;
/** An optional field: null when absent. */
const optional =
  <T>(inner: (v: unknown) => v is T) =>
  (v: unknown): v is T | null =>
    v === undefined || v === null || inner(v);

/** Reads and checks `qemu/<arch>.yaml`, and the machines its `otherwise` names, in turn. */
export async function loadArch(arch: string, root = repoRoot, seen: string[] = []): Promise<ArchSpec> {
  const file = join(root, 'qemu', `${arch}.yaml`);
  if (seen.includes(arch)) throw new VmaspecError('E_USAGE', `${file}: otherwise: ${[...seen, arch].join(' → ')} goes round in a circle`);
  let data: Record<string, unknown>;
  try {
    data = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new VmaspecError('E_USAGE', `no QEMU description for architecture "${arch}" (${file})`, { cause });
  }
  const otherwise = field(data, 'otherwise', optional(isString), file, 'the name of another file of qemu/') ?? null;
  return {
    arch,
    binary: field(data, 'binary', isString, file, 'a program name'),
    package: field(data, 'package', isString, file, 'a Debian package name'),
    kernelArch: field(data, 'kernel_arch', isString, file, 'an ARCH= value'),
    kernelImage: field(data, 'kernel_image', isString, file, 'a path in the build directory'),
    pageSize: field(data, 'page_size', isNumber, file, 'a positive integer'),
    machine: field(data, 'machine', isString, file, 'a machine type'),
    machineOptions: field(data, 'machine_options', isStrings, file, 'a list of strings'),
    cpu: field(data, 'cpu', isPair(isString), file, '{ tcg, kvm } CPU models'),
    vcpus: field(data, 'vcpus', isPair(isNumber), file, '{ tcg, kvm } counts'),
    memoryMib: field(data, 'memory_mib', isNumber, file, 'a positive integer'),
    consoleDevice: field(data, 'console_device', isString, file, 'a device name'),
    results: field(data, 'results', isChannels, file, 'a list of { devices: [-device values], node: /dev/…, needs: [Kconfig options], parked_archive_kib: KiB }, the last without needs').map((c) => ({
      devices: c.devices,
      node: c.node,
      needs: c.needs ?? [],
      parkedArchiveKib: c.parked_archive_kib,
    })),
    kernelArgs: field(data, 'kernel_args', isStrings, file, 'a list of strings'),
    tcgTscKhzArg: field(data, 'tcg_tsc_khz_arg', optional(isArgName), file, 'a kernel argument name (letters, digits, _ . -)') ?? null,
    snapshots: field(data, 'snapshots', isBoolean, file, 'true or false'),
    imageNeeds: field(data, 'kernel_image_needs', optional(isOption), file, 'a Kconfig option name without CONFIG_') ?? null,
    otherwise: otherwise === null ? null : await loadArch(otherwise, root, [...seen, arch]),
  };
}

/**
 * The machine a kernel of this configuration boots on: `spec` when the kernel has what its
 * image needs, else the first of its `otherwise` machines that takes the kernel; null when none does.
 */
export function machineFor(spec: ArchSpec, config: Map<string, string>): ArchSpec | null {
  for (let m: ArchSpec | null = spec; m; m = m.otherwise) {
    if (m.imageNeeds === null || config.get(m.imageNeeds) === 'y') return m;
  }
  return null;
}

/** The first of the machine's result channels whose options the kernel has built in (the last needs none). */
export function resultsChannel(spec: ArchSpec, config: Map<string, string>): ResultsChannel {
  return spec.results.find((c) => c.needs.every((o) => config.get(o) === 'y')) ?? spec.results.at(-1)!;
}
