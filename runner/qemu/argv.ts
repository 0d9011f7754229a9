// QEMU command lines, built by small pure functions from an ArchSpec (vmtest style).
import type { Accel, ArchSpec } from './arch.js';

export interface BootRequest {
  kernel: string;
  initrd: string;
  /** The kernel console goes to this file. */
  consoleLog: string;
  accel: Accel;
  /** Extra kernel command-line arguments. */
  append: string[];
}

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
  [...spec.kernelArgs, ...request.append].join(' '),
];

/** Console to a file; the result stream to QEMU's stdout through the second UART. */
export const serialArgs = (spec: ArchSpec, request: BootRequest): string[] => [
  '-chardev',
  `file,id=console,path=${request.consoleLog}`,
  '-serial',
  'chardev:console',
  '-chardev',
  'stdio,id=results,signal=off',
  '-device',
  `${spec.resultsDevice},chardev=results`,
];

/** The full argv (without the binary). */
export function qemuArgv(spec: ArchSpec, request: BootRequest): string[] {
  return [...machineArgs(spec, request.accel), ...cpuArgs(spec, request.accel), ...quietArgs(), ...kernelArgs(spec, request), ...serialArgs(spec, request)];
}
