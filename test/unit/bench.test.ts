import { describe, expect, it } from 'vitest';
import { breakdown, type BenchResult } from '../../runner/bench/bench.js';
import { renderPerformance } from '../../runner/bench/render.js';
import { stat } from '../../runner/bench/stats.js';
import type { BootTiming } from '../../runner/qemu/timing.js';

const restored = (t: number): BootTiming => ({
  boot: 1, cases: 1, start: 'restore', monitorMs: 40 + t, toReadyMs: 90 + t, saveMs: null, toInitMs: 100 + t, kernelToInitMs: null, casesMs: 150, powerOffMs: 10, totalMs: 260 + t, toVerdictMs: 270 + t,
});

describe('bench figures', () => {
  it('splits boots into medians of each stage; a restore has no kernel boot time', () => {
    const b = breakdown([restored(0), restored(10), restored(50)]);
    expect(b).toEqual({ qemuMs: 50, toReadyMs: 100, kernelToInitMs: NaN, handoverMs: 10, casesMs: 150, powerOffMs: 10, judgeMs: 10 });
  });

  it('marks each target met or not from the figures, and shows both breakdowns', () => {
    const boot: BootTiming = { ...restored(0), start: 'boot', monitorMs: null, toReadyMs: 900, kernelToInitMs: 750, toInitMs: 910 };
    const result: BenchResult = {
      schema: 'vmaspec-bench/2', started: '2026-11-22T00:00:00Z',
      machine: { cpus: 2, model: 'cpu', memoryGiB: 24, accel: 'tcg', kernel: 'debian:6.12 6.12.117' },
      oneCaseId: 'naming/s1', oneCase: stat([300, 310, 320]), oneCaseBreakdown: breakdown([restored(0)]), oneCaseCommand: stat([700]),
      oneCaseBoot: stat([1100]), oneCaseBootBreakdown: breakdown([boot]),
      suite: stat([5200, 5300, 5400]), suiteCases: 92, perCase: stat([40]), coldBuild: stat([210]), incrementalBuild: stat([6, 31]),
      naive: stat([2000]), naiveRatio: 6.45,
    };
    const md = renderPerformance(result);
    expect(md).toMatch(/\| one case \(`naming\/s1`\), QEMU start → verdict \| 300 ms \| 310 ms \| 320 ms \| 3 \| median ≤ 500 ms \| met \|/);
    expect(md).toMatch(/whole suite, 92 cases.*\| 5300 ms \|.*\*\*not met\*\*/);
    expect(md).toMatch(/incremental kernel build.*\| 31\.0 s \| 2 \| ≤ 30 s \| \*\*not met\*\* \|/);
    expect(md).toContain('| restoring the snapshot (monitor → the guest runs, parked) | 50 ms |');
    expect(md).toContain("| kernel boot to `Run /init` (the kernel's own clock) | 750 ms |");
    expect(md).toContain('**6.45×**');
  });
});
