// The guest kernel's clock from its console (runner/qemu/guest-clock.ts), on real boots of
// the default kernel: one whose TSC calibration failed, one given the host's TSC rate.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../runner/qemu/arch.js';
import { lastClocksource, ticksOnly } from '../../runner/qemu/guest-clock.js';

const fixture = (name: string): Promise<string> => readFile(join(repoRoot, 'test/fixtures/boot', name), 'latin1');

describe('lastClocksource', () => {
  it('reads the clocksource the kernel switched to last: jiffies after a failed calibration', async () => {
    const failed = await fixture('console-6.12.log');
    expect(failed).toContain('tsc: Marking TSC unstable due to could not calculate TSC khz');
    expect(lastClocksource(failed)).toBe('refined-jiffies');
    expect(ticksOnly(lastClocksource(failed))).toBe(true);
  });

  it('tsc-early when the kernel was given the rate', async () => {
    const given = await fixture('console-6.12-tsc-khz.log');
    expect(given).toMatch(/tsc_early_khz=\d+000 /);
    expect(lastClocksource(given)).toBe('tsc-early');
    expect(ticksOnly(lastClocksource(given))).toBe(false);
  });

  it('the last switch counts; a console that never said is not ticks', () => {
    const two = '[ 0.1] clocksource: Switched to clocksource tsc-early\n[ 1.2] clocksource: Switched to clocksource jiffies\n';
    expect(lastClocksource(two)).toBe('jiffies');
    expect(lastClocksource('[ 0.1] clocksource: Switched to clocksource jiffies\n[ 1.2] clocksource: Switched to clocksource tsc\n')).toBe('tsc');
    expect(lastClocksource('Run /init as init process\n')).toBeNull();
    expect(ticksOnly(null)).toBe(false);
  });
});
