import { accessSync, constants, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakdown, commandHost, readmeCommand, type BenchResult } from '../../runner/bench/bench.js';
import { renderPerformance } from '../../runner/bench/render.js';
import { measured } from '../../runner/bench/cpu.js';
import { stat } from '../../runner/bench/stats.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { BootClock, peakRssMib, type BootTiming } from '../../runner/qemu/timing.js';

const restored = (t: number): BootTiming => ({
  boot: 1, cases: 1, start: 'restore', spawnedAtMs: 300 + t, monitorMs: 40 + t, toReadyMs: 90 + t, saveMs: null, toInitMs: 100 + t, kernelToInitMs: null, casesMs: 150, powerOffMs: 10, totalMs: 260 + t, toVerdictMs: 270 + t, peakRssMib: 45,
});

describe('bench figures', () => {
  it('splits boots into medians of each stage; a restore has no kernel boot time', () => {
    const b = breakdown([restored(0), restored(10), restored(50)]);
    expect(b).toEqual({ qemuMs: 50, toReadyMs: 100, kernelToInitMs: NaN, handoverMs: 10, casesMs: 150, powerOffMs: 10, judgeMs: 10 });
  });

  it("splits a command's wall time: its work before QEMU's spawn, the boot to the verdict, and the rest after it", () => {
    // Spawned at 300/310/350 ms of the process's clock, verdicts 270/280/320 ms later, exits at 700/640/900 ms.
    const runs = [
      { wallMs: 700, boot: restored(0) },
      { wallMs: 640, boot: restored(10) },
      { wallMs: 900, boot: restored(50) },
    ];
    expect(commandHost(runs)).toEqual({ beforeMs: 310, afterMs: 130 });
  });

  it('marks each target met or not from the figures, and shows both breakdowns', () => {
    const boot: BootTiming = { ...restored(0), start: 'boot', monitorMs: null, toReadyMs: 900, kernelToInitMs: 750, toInitMs: 910 };
    const result: BenchResult = {
      schema: 'vmaspec-bench/10', started: '2026-11-22T00:00:00Z',
      machine: { cpus: 2, model: 'cpu', memoryGiB: 24, accel: 'tcg', kernel: 'debian:6.12 6.12.117' },
      oneCaseId: 'naming/s1', oneCase: stat([300, 310, 320]), oneCaseBreakdown: breakdown([restored(0)]), oneCaseCommand: stat([700]), oneCaseHost: commandHost([{ wallMs: 700, boot: restored(0) }]), command: './vmaspec', oneCaseServed: stat([120, 130, 400]), suiteServed: stat([3100, 2400, 2450]),
      oneCaseBoot: stat([1100]), oneCaseBootBreakdown: breakdown([boot]),
      suite: stat([5200, 5300, 5400]), suiteCases: 92, perCase: stat([40]), coldBuild: stat([210]), coldBuildCpu: stat([400]), profileBuild: stat([25]), profileName: 'no-anon-vma-name', incrementalBuild: stat([6, 31]),
      naive: stat([2000]), naiveRatio: 6.45,
      peakRssRestored: stat([44.5, 45, 120]), peakRssBooted: stat([84]), guestRamMib: 256,
      explore: { model: [{ sequences: 110, unclaimed: 90, perSecond: 55 }], diff: [{ sequences: 200, unclaimed: 0, perSecond: 9.5 }], perSecondModel: stat([55]), perSecondDiff: stat([9.5]) },
      coldTest: null,
    };
    expect(renderPerformance(result)).toMatch(/\| cold `npm test`: .* \| not measured: `npm run bench -- --cold-test` \| \| \| \| ≤ 6 min \| \|/);
    expect(renderPerformance({ ...result, coldTest: { seconds: stat([361]), coreSeconds: stat([700]), commit: 'c0ffee1234567890', failed: [] } })).toMatch(/\| cold `npm test`: .*; at c0ffee123456 \| 361\.0 s \| 361\.0 s \| 361\.0 s \| 1 \| ≤ 6 min \| \*\*not met\*\* \|/);
    expect(renderPerformance({ ...result, coldTest: { seconds: stat([300]), coreSeconds: stat([570]), commit: 'c0ffee1234567890', failed: [] } })).toMatch(/\| cold `npm test`: .* \| 300\.0 s \| 1 \| ≤ 6 min \| met \|/);
    // A failed run is shown with its time, said to have failed, and never meets the target.
    const failed = renderPerformance({ ...result, coldTest: { seconds: stat([300]), coreSeconds: stat([570]), commit: 'c0ffee1234567890', failed: [{ exitCode: 1, log: '/a/cold-test-1.log' }] } });
    expect(failed).toMatch(/\| cold `npm test`: .*; at c0ffee123456; \*\*failed\*\*: exit 1, \/a\/cold-test-1\.log \| 300\.0 s \| .* \| 1 \| ≤ 6 min \| \*\*not met\*\* \|/);
    // The cores' busy time: the least time the cold run's work takes on this machine, and the kernel build's share of it.
    const cpu = renderPerformance({ ...result, coldTest: { seconds: stat([500]), coreSeconds: stat([900]), commit: 'c0ffee1234567890', failed: [] } });
    expect(cpu).toMatch(/\| the same: the busy time of the cores meanwhile \| 900 core-s \| 900 core-s \| 900 core-s \| 1 \|  \|  \|/);
    expect(cpu).toContain('kept the 2 cores 90 % busy: its work took 900 core-s, so on this machine it takes at\nleast 450.0 s with every core busy');
    expect(cpu).toContain('A cold kernel build on its own (above) took 400 core-s, 44 % of that.\nWithin the target of 360.0 s the cores give 720 core-s.');
    const md = renderPerformance(result);
    expect(md).not.toContain('kept the 2 cores');
    expect(md).toMatch(/\| the same: the busy time of the cores meanwhile \(user and system time of every process\) \| 400 core-s \|/);
    expect(md).toMatch(/\| one case \(`naming\/s1`\), QEMU start → verdict \| 300 ms \| 310 ms \| 320 ms \| 3 \| median ≤ 500 ms \| met \|/);
    expect(md).toMatch(/whole suite, 92 cases.*through the command server.*\| 2450 ms \| 3100 ms \| 3 \| median ≤ 2500 ms \| met \|/);
    expect(md).toMatch(/\| the same without the command server \(`VMASPEC_SERVE=0`\) \| 5200 ms \| 5300 ms \| 5400 ms \| 3 \|  \|  \|/);
    expect(md).toMatch(/incremental kernel build.*\| 31\.0 s \| 2 \| ≤ 30 s \| \*\*not met\*\* \|/);
    expect(md).toContain('| restoring the snapshot (monitor → the guest runs, parked) | 50 ms |');
    expect(md).toContain('| the command before QEMU (process start → QEMU spawned: Node, the CLI, the cases, the kernel, the payload) | 300 ms |');
    expect(md).toContain("| the command after the verdict (reports, exit) and the process's start-up before its clock | 130 ms |");
    expect(md).toContain("| kernel boot to `Run /init` (the kernel's own clock) | 750 ms |");
    expect(md).toContain('**6.45×**');
    expect(md).toMatch(/\| the same, from pressing enter: `\.\/vmaspec run <case>` \(the README's command\), its command server running .* \| 120 ms \| 130 ms \| 400 ms \| 3 \| median ≤ 350 ms \| met \|/);
    expect(md).toMatch(/\| the same without the command server \(`VMASPEC_SERVE=0 \.\/vmaspec run <case>`.*\| 700 ms \| 700 ms \| 700 ms \| 1 \|  \|  \|/);
    expect(md).toMatch(/the model oracle: sequences judged per second \(110 judged, 90 the model says nothing of and does not run;.*\| 55\.0\/s \| 1 \| ≥ 50\/s \| met \|/);
    expect(md).toMatch(/--oracle diff`, the kernel against itself.*\(200 judged; .*\| 9\.5\/s \| 1 \| ≥ 50\/s \| \*\*not met\*\* \|/);
    expect(md).toMatch(/\| profile kernel build \(`--profile no-anon-vma-name`: a new build dir seeded from the default's objects\) \| 25\.0 s \|/);
    expect(md).toMatch(/\| peak RSS of a guest restored from the snapshot .*256 MiB of guest RAM\) \| 44\.5 MiB \| 45\.0 MiB \| 120\.0 MiB \| 3 \| median ≤ 100 MiB \| met \|/);
  });
});

describe("the README's command, which the bench times from pressing enter", () => {
  it('is the first line of the block under "The command line", up to `run`', () => {
    expect(readmeCommand('# x\n\n## The command line\n\n```sh\nnpx vmaspec run   # every case\n./vmaspec check\n```\n')).toEqual(['npx', 'vmaspec']);
    expect(() => readmeCommand('## The command line\n\n```sh\nvmaspec check\n```\n')).toThrow('README.md has no `<command> run` line');
  });

  it("is, in this README, a program in the checkout that runs vmaspec's bin, or the command server's client", () => {
    const [file, ...rest] = readmeCommand(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    expect(rest).toEqual([]);
    expect(file).toMatch(/^\.\//);
    accessSync(join(repoRoot, file!), constants.X_OK);
    // A shell script: the command server's client when it is compiled, else node with the bin (docs/serve.md).
    const script = readFileSync(join(repoRoot, file!), 'utf8');
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain('exec "$client" "$root" "$@"');
    expect(script).toContain('exec node "$root/runner/bin/vmaspec.js" "$@"');
  });
});

describe('peak RSS of a guest', () => {
  it("is read from QEMU's /proc/PID/status at the last case's end record, and is null when never read", () => {
    const asked: number[] = [];
    let t = 0;
    const clock = new BootClock(() => (t += 10), (pid) => (asked.push(pid), 40 + asked.length));
    clock.on({ kind: 'started', pid: 4242 });
    clock.on({ kind: 'line', line: 'vmaspec-results 1' });
    clock.on({ kind: 'line', line: 'T 0 end 0 pass' });
    clock.on({ kind: 'line', line: 'T 1 end 0 pass' });
    clock.on({ kind: 'exited', code: 0, signal: null });
    expect(asked).toEqual([4242, 4242]);
    expect(clock.timing(1, 2, '').peakRssMib).toBe(42);
    const none = new BootClock(() => 0, () => 99);
    none.on({ kind: 'started', pid: 1 });
    expect(none.timing(1, 0, '').peakRssMib).toBeNull();
  });

  it('reads VmHWM of a live process in MiB, and null for one that is gone', () => {
    expect(peakRssMib(process.pid)).toBeGreaterThan(10);
    expect(peakRssMib(2 ** 22 + 1)).toBeNull();
  });
});

describe("the cores' busy time", () => {
  it("counts a child process's work, and never more than the cores can give in the time", async () => {
    const { execa } = await import('execa');
    // A child that spins for 0.5 s of its own CPU time.
    const spin = await measured(() => execa('node', ['-e', 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 5e5);']));
    expect(spin.coreSeconds, `${spin.seconds} s`).toBeGreaterThanOrEqual(0.4);
    expect(spin.coreSeconds).toBeLessThanOrEqual(cpus().length * (spin.seconds + 0.1) + 0.1);
  });
});
