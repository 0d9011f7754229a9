// QEMU command lines, built by small pure functions from an ArchSpec (vmtest style).
import type { Accel, ArchSpec, ResultsChannel } from './arch.js';

export interface BootRequest {
  kernel: string;
  initrd: string;
  /** The kernel console goes to this file. */
  consoleLog: string;
  accel: Accel;
  /** Extra kernel command-line arguments. */
  append: string[];
  /** The result stream's channel (runner/qemu/arch.ts resultsChannel: the kernel must have what it needs). */
  results: ResultsChannel;
  /** The run's payload (a newc archive: manifest, plans, probes), the guest's fw_cfg file opt/vmaspec/payload. */
  payload: string;
  /**
   * Save the parked guest's state to `path`, or start from the state saved there instead of
   * booting. The guest's RAM is the file `ram` (runner/qemu/vmstate.ts): shared while a booted
   * guest runs and is saved, mapped privately (copy-on-write, read as touched) by a restore.
   */
  snapshot?: { mode: 'save' | 'restore'; path: string; ram: string };
  /** QEMU's monitor (QMP) on this unix socket; needed for a snapshot. Its owner removes it (runner/qemu/sockets.ts). */
  qmp?: string;
}

/** The fw_cfg file init reads its cases from (c-helpers/init.c). */
export const PAYLOAD_FW_CFG_NAME = 'opt/vmaspec/payload';

/** A value inside a QEMU option list: commas doubled. */
const optionValue = (s: string): string => s.replaceAll(',', ',,');

export const machineArgs = (spec: ArchSpec, accel: Accel): string[] => ['-M', [spec.machine, ...spec.machineOptions].join(','), '-accel', accel];

export const cpuArgs = (spec: ArchSpec, accel: Accel): string[] => ['-cpu', spec.cpu[accel], '-smp', String(spec.vcpus[accel]), '-m', String(spec.memoryMib)];

/** No default devices, no monitor, no display, and exit instead of rebooting. */
export const quietArgs = (): string[] => ['-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-no-reboot'];

export const kernelArgs = (spec: ArchSpec, request: BootRequest): string[] => [
  '-kernel',
  request.kernel,
  '-initrd',
  request.initrd,
  '-append',
  [...spec.kernelArgs, `${RESULTS_ENV}=${request.results.node}`, ...request.append].join(' '),
];

/** The variable in init's environment that names its result channel's node (the kernel hands init the unknown `NAME=value` arguments of its command line). */
export const RESULTS_ENV = 'VMASPEC_RESULTS';

/** Console to a file; the result stream to QEMU's stdout through the request's channel. */
export const serialArgs = (request: BootRequest): string[] => [
  '-chardev',
  `file,id=console,path=${optionValue(request.consoleLog)}`,
  '-serial',
  'chardev:console',
  '-chardev',
  'stdio,id=results,signal=off',
  ...request.results.devices.flatMap((d, i, all) => ['-device', i === all.length - 1 ? `${d},chardev=results` : d]),
];

/** The payload as a fw_cfg file. */
export const payloadArgs = (request: BootRequest): string[] => ['-fw_cfg', `name=${PAYLOAD_FW_CFG_NAME},file=${optionValue(request.payload)}`];

/** The id of the guest RAM's memory backend with a snapshot (the same on both sides of a save and restore). */
export const SNAPSHOT_RAM_ID = 'vmaspec-ram';

/**
 * QMP on a unix socket (server, not waiting for a client); with a snapshot, the guest's RAM
 * backed by its file (shared when saving, private when restoring), and `-incoming defer` to
 * restore one.
 */
export const snapshotArgs = (spec: ArchSpec, request: BootRequest): string[] => {
  const snapshot = request.snapshot;
  const ram = snapshot
    ? ['-machine', `memory-backend=${SNAPSHOT_RAM_ID}`, '-object', `memory-backend-file,id=${SNAPSHOT_RAM_ID},size=${spec.memoryMib}M,mem-path=${optionValue(snapshot.ram)},share=${snapshot.mode === 'save' ? 'on' : 'off'}`]
    : [];
  return [...(request.qmp ? ['-qmp', `unix:${optionValue(request.qmp)},server=on,wait=off`] : []), ...ram, ...(snapshot?.mode === 'restore' ? ['-incoming', 'defer'] : [])];
};

/** The full argv (without the binary). */
export function qemuArgv(spec: ArchSpec, request: BootRequest): string[] {
  return [
    ...machineArgs(spec, request.accel),
    ...cpuArgs(spec, request.accel),
    ...quietArgs(),
    ...kernelArgs(spec, request),
    ...serialArgs(request),
    ...payloadArgs(request),
    ...snapshotArgs(spec, request),
  ];
}
