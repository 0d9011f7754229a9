// The host's TSC rate, told to x86 guests under TCG. A guest's RDTSC reads the host's
// counter there, and the kernel calibrates it against the PIT at boot; on a busy host that
// calibration fails often (27 of 71 boots of the tests on a 2-core host), the kernel marks the TSC
// unstable and keeps time in 4 ms jiffies (runner/qemu/guest-clock.ts). Given the rate
// (`tsc_early_khz=`, qemu/x86_64.yaml `tcg_tsc_khz_arg`) it calibrates nothing.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentKey } from '../kernel/cache.js';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { keptAnswer } from '../util/tool-answer.js';
import { repoRoot } from './arch.js';

const SOURCE = join(repoRoot, 'runner', 'qemu', 'tsc-khz.c');
const BOOT_ID = '/proc/sys/kernel/random/boot_id';

/** A rate as the tool prints it: whole MHz, in kHz. */
const isRate = (s: string): boolean => /^[1-9][0-9]*000\n?$/.test(s);

/**
 * The host's TSC rate in kHz (rounded to the MHz), measured once per host boot and kept in
 * `<cacheDir>/tools`, so that the guests' command line, and the snapshot key with it, stays the
 * same (a measure on a busy host can be off by a few MHz: the guest's clock then runs as much
 * fast or slow, which no interval it times notices); null where it cannot be had (not an x86
 * host, no C compiler): the guest then calibrates as before.
 */
export async function hostTscKhz(cacheDir: string, log: Logger): Promise<number | null> {
  if (process.arch !== 'x64' && process.arch !== 'ia32') return null;
  const boot = (await readFile(BOOT_ID, 'utf8').catch(() => '')).trim();
  if (!boot) return null;
  const key = contentKey(['tsc-khz', boot, await readFile(SOURCE, 'utf8')]);
  try {
    return Number((await keptAnswer(join(cacheDir, 'tools'), key, () => measure(log), { valid: isRate })).trim());
  } catch (error) {
    log.verbose(`qemu: the host's TSC rate could not be measured (${error instanceof Error ? error.message : String(error)}); the guest kernel calibrates its own`);
    return null;
  }
}

async function measure(log: Logger): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vmaspec-tsc-'));
  try {
    await run('cc', ['-O2', '-o', join(dir, 'tsc-khz'), SOURCE], { log });
    const rate = (await run(join(dir, 'tsc-khz'), [], { log })).trim();
    if (!isRate(rate)) throw new Error(`tsc-khz printed ${JSON.stringify(rate)}`);
    return `${rate}\n`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
