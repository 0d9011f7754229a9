// The host's TSC rate (runner/qemu/host-tsc.ts): measured on this machine by the real tool,
// kept per host boot, and measured again when what is kept is damaged.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../runner/log.js';
import { hostTscKhz } from '../../runner/qemu/host-tsc.js';

const capture = (lines: string[]): Logger => ({ info: (m) => lines.push(m), verbose: (m) => lines.push(m), progress: () => undefined, done: () => undefined });
const onX64 = process.arch === 'x64';

let cache: string;
/** The first measure in the new cache: its log and its rate (each test reads them, in any order). */
const first: string[] = [];
let khz: number | null;
beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'vmaspec-tsc-test-'));
  if (onX64) khz = await hostTscKhz(cache, capture(first));
});
afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});

describe.skipIf(!onX64)('hostTscKhz', () => {
  it('measures the rate in whole MHz, once per host boot', async () => {
    expect(khz).toBeGreaterThan(100_000); // over 100 MHz
    expect(khz! % 1000).toBe(0);
    expect(first.some((l) => l.startsWith('$ cc '))).toBe(true);
    // /proc/cpuinfo's figure on a machine whose TSC rate is known to its kernel (this one: tsc_known_freq) is the same to the MHz.
    const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
    if (/\btsc_known_freq\b/.test(cpuinfo)) expect(Math.round(Number(/cpu MHz\s*:\s*([\d.]+)/.exec(cpuinfo)![1]))).toBe(khz! / 1000);
    const again: string[] = [];
    expect(await hostTscKhz(cache, capture(again))).toBe(khz);
    expect(again).toEqual([]);
  });

  it('a damaged kept answer is measured again, never used', async () => {
    const [file] = await readdir(join(cache, 'tools'));
    const kept = await readFile(join(cache, 'tools', file!), 'utf8');
    for (const damaged of ['', '2096', 'garbage\n', '0000\n']) {
      await writeFile(join(cache, 'tools', file!), damaged);
      const lines: string[] = [];
      // Measured again: within 1 % of the first (this machine may be busy), and kept whole.
      const again = await hostTscKhz(cache, capture(lines));
      expect(Math.abs(again! - Number(kept)) / Number(kept)).toBeLessThan(0.01);
      expect(lines.some((l) => l.startsWith('$ cc '))).toBe(true);
      expect(await readFile(join(cache, 'tools', file!), 'utf8')).toBe(`${again}\n`);
    }
    await writeFile(join(cache, 'tools', file!), kept); // the first measure's, as the other test finds it in any order
  });
});
