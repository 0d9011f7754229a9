// Does KVM work here? Opening /dev/kvm is not proof (on this kind of machine it
// opens, but QEMU aborts or hangs without vmx/svm). The proof: run a 16-byte
// firmware under KVM that writes to isa-debug-exit, so QEMU exits with a known
// code. The same firmware under TCG must give the same code, which proves the probe.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Logger } from '../log.js';
import { shellLine } from '../util/exec.js';
import type { Accel } from './arch.js';
import { tethered } from './tether.js';

/** QEMU exits with (value << 1) | 1 when the guest writes `value` to isa-debug-exit. */
const EXIT_VALUE = 0x31;
const EXPECTED_STATUS = (EXIT_VALUE << 1) | 1;

/** A 64 KiB firmware image: at the reset vector, `mov al, 0x31; out 0xf4, al; hlt`. */
export function probeFirmware(): Buffer {
  const rom = Buffer.alloc(64 * 1024, 0xf4); // hlt everywhere
  rom.set([0xb0, EXIT_VALUE, 0xe6, 0xf4, 0xf4], rom.length - 16);
  return rom;
}

export function probeArgv(firmware: string, accel: Accel): string[] {
  return ['-M', 'pc', '-accel', accel, ...(accel === 'kvm' ? ['-cpu', 'host'] : []), '-nodefaults', '-no-user-config', '-display', 'none', '-bios', firmware, '-device', 'isa-debug-exit,iobase=0xf4,iosize=1'];
}

async function runsFirmware(binary: string, firmware: string, accel: Accel, log: Logger): Promise<{ ok: boolean; why: string }> {
  const args = probeArgv(firmware, accel);
  log.verbose(`$ ${shellLine(binary, args)}`);
  const qemu = tethered(binary, args);
  const result = await execa(qemu.file, qemu.args, { reject: false, timeout: 10_000, stdin: 'ignore', all: true });
  if (result.exitCode === EXPECTED_STATUS) return { ok: true, why: '' };
  const why = result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}: ${(result.all ?? '').trim().split('\n')[0] ?? ''}`;
  return { ok: false, why };
}

export interface AccelChoice {
  accel: Accel;
  /** Why KVM is not used, when it is not. */
  reason: string | null;
}

/**
 * Proves KVM once per QEMU binary, host kernel and CPU, caching the answer in
 * the cache dir. `verifyBoot` boots the real guest under KVM and returns null
 * when it worked, else why not (KVM can run the firmware and still fail a kernel).
 */
export async function chooseAccel(binary: string, cacheDir: string, log: Logger, verifyBoot: () => Promise<string | null>): Promise<AccelChoice> {
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', reason: '/dev/kvm does not exist' };
  const version = (await execa(binary, ['--version'], { reject: false })).stdout.split('\n')[0] ?? '';
  const hostKernel = (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
  const cpu = (await readFile('/proc/cpuinfo', 'utf8')).split('\n').filter((l) => /^(model name|flags)\s*:/.test(l)).slice(0, 2).join('|');
  const file = join(cacheDir, 'kvm-probe.json');
  const key = `${version}|${hostKernel}|${cpu}`;
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { key: string; choice: AccelChoice };
    if (saved.key === key) return saved.choice;
  }
  await mkdir(cacheDir, { recursive: true });
  const firmware = join(cacheDir, 'kvm-probe.rom');
  await writeFile(firmware, probeFirmware());
  const kvm = await runsFirmware(binary, firmware, 'kvm', log);
  let choice: AccelChoice = { accel: 'kvm', reason: null };
  if (!kvm.ok) {
    const tcg = await runsFirmware(binary, firmware, 'tcg', log);
    choice = { accel: 'tcg', reason: tcg.ok ? `KVM does not work here (${kvm.why})` : `the KVM probe itself failed under TCG (${tcg.why}); not trusting KVM` };
  } else {
    log.info('qemu: KVM ran the probe firmware; checking that it boots the guest (once, cached)');
    const why = await verifyBoot();
    if (why) choice = { accel: 'tcg', reason: `KVM does not work here (${why})` };
  }
  await writeFile(file, JSON.stringify({ key, choice }, null, 2));
  return choice;
}
