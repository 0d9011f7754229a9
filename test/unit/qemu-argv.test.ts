import { describe, expect, it } from 'vitest';
import { loadArch, resultsChannel } from '../../runner/qemu/arch.js';
import { qemuArgv } from '../../runner/qemu/argv.js';
import { probeArgv, probeFirmware } from '../../runner/qemu/kvm.js';

describe('QEMU argv from qemu/x86_64.yaml', async () => {
  const spec = await loadArch('x86_64');
  /** A kernel with the virtio console (vmaspec's own) and one without (a developer's, say). */
  const virtio = new Map([
    ['VIRTIO_MMIO', 'y'],
    ['VIRTIO_MMIO_CMDLINE_DEVICES', 'y'],
    ['VIRTIO_CONSOLE', 'y'],
  ]);
  const request = { kernel: '/k/vmlinux', initrd: '/a/i.cpio', consoleLog: '/a/console.log', accel: 'tcg' as const, append: ['vmaspec.verbose=1'], results: resultsChannel(spec, virtio), payload: '/a/payload.cpio' };

  it('boots microvm with the PVH vmlinux, one vCPU under TCG', () => {
    const argv = qemuArgv(spec, request);
    expect(argv.slice(0, 4)).toEqual(['-M', 'microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=off', '-accel', 'tcg']);
    expect(argv).toContain('-no-reboot');
    const at = (flag: string): string | undefined => argv[argv.indexOf(flag) + 1];
    expect(at('-kernel')).toBe('/k/vmlinux');
    expect(at('-smp')).toBe('1');
    expect(at('-cpu')).toBe('max');
    expect(at('-append')).toBe('console=ttyS0 reboot=t panic=-1 oops=panic printk.time=1 watchdog_thresh=2 sysctl.kernel.hung_task_timeout_secs=2 nolapic_timer tsc=reliable VMASPEC_RESULTS=/dev/hvc0 vmaspec.verbose=1');
  });

  it('puts the console in a file and the result stream on a virtio console, told to init', () => {
    const argv = qemuArgv(spec, request).join(' ');
    expect(argv).toContain('-chardev file,id=console,path=/a/console.log -serial chardev:console');
    expect(argv).toContain('-chardev stdio,id=results,signal=off -device virtio-serial-device -device virtconsole,chardev=results');
    expect(argv).not.toContain('isa-serial,index=1');
  });

  it.each([
    ['no virtio console', 'VIRTIO_CONSOLE'],
    ['virtio-mmio as a module', 'VIRTIO_MMIO'],
    ['no devices from the command line', 'VIRTIO_MMIO_CMDLINE_DEVICES'],
  ])('puts the result stream on a second UART for a kernel with %s', (_, option) => {
    const without = new Map([...virtio, [option, option === 'VIRTIO_MMIO' ? 'm' : 'n']]);
    const argv = qemuArgv(spec, { ...request, results: resultsChannel(spec, without) }).join(' ');
    expect(argv).toContain('-chardev stdio,id=results,signal=off -device isa-serial,index=1,chardev=results');
    expect(argv).not.toContain('virtconsole');
    expect(argv).toContain(' VMASPEC_RESULTS=/dev/ttyS1 ');
  });

  it('hands the payload over as the fw_cfg file init reads, commas in paths doubled', () => {
    expect(qemuArgv(spec, request).join(' ')).toContain('-fw_cfg name=opt/vmaspec/payload,file=/a/payload.cpio');
    const argv = qemuArgv(spec, { ...request, payload: '/a,b/p.cpio', consoleLog: '/a,b/c.log' });
    expect(argv).toContain('name=opt/vmaspec/payload,file=/a,,b/p.cpio');
    expect(argv).toContain('file,id=console,path=/a,,b/c.log');
  });

  it('has no monitor and no -incoming without a snapshot', () => {
    const argv = qemuArgv(spec, request);
    expect(argv).not.toContain('-qmp');
    expect(argv).not.toContain('-incoming');
  });

  it('a snapshot puts the RAM in its file (shared to save, private to restore) and adds QMP; restoring also waits for the state (-incoming defer)', () => {
    const save = qemuArgv(spec, { ...request, qmp: '/t/q.sock', snapshot: { mode: 'save', path: '/c/s.vmstate', ram: '/t/live,ram' } });
    const ram = (mode: string, file: string): string[] => ['-machine', 'memory-backend=vmaspec-ram', '-object', `memory-backend-file,id=vmaspec-ram,size=${spec.memoryMib}M,mem-path=${file},share=${mode}`];
    expect(save.slice(-6)).toEqual(['-qmp', 'unix:/t/q.sock,server=on,wait=off', ...ram('on', '/t/live,,ram')]);
    const restore = qemuArgv(spec, { ...request, qmp: '/t/q.sock', snapshot: { mode: 'restore', path: '/c/s.vmstate', ram: '/c/s.12.ram.use-1-1' } });
    expect(restore.slice(-8)).toEqual(['-qmp', 'unix:/t/q.sock,server=on,wait=off', ...ram('off', '/c/s.12.ram.use-1-1'), '-incoming', 'defer']);
    // Everything that shapes the machine is the same in both: the saved state fits the restoring QEMU.
    expect(restore.slice(0, -8)).toEqual(save.slice(0, -6));
  });

  it('uses the host CPU and more vCPUs under KVM', () => {
    const argv = qemuArgv(spec, { ...request, accel: 'kvm' });
    expect(argv[argv.indexOf('-cpu') + 1]).toBe('host');
    expect(argv[argv.indexOf('-smp') + 1]).toBe('2');
  });
});

describe('KVM probe firmware', () => {
  it('puts `mov al, 0x31; out 0xf4, al; hlt` at the reset vector of a 64 KiB ROM', () => {
    const rom = probeFirmware();
    expect(rom.length).toBe(65536);
    expect([...rom.subarray(rom.length - 16, rom.length - 11)]).toEqual([0xb0, 0x31, 0xe6, 0xf4, 0xf4]);
    expect(probeArgv('/r.rom', 'kvm')).toEqual(expect.arrayContaining(['-accel', 'kvm', '-cpu', 'host', '-bios', '/r.rom']));
  });
});
