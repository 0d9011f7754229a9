// docs/performance.md from a bench result (docs/performance.json): the figures, the
// targets of issues 7 and 17 beside them, and the machine they came from.
import type { Stat } from './stats.js';
import type { BenchResult, Breakdown, ExploreSpeed, HostTime } from './bench.js';

/** The targets the figures are held to (s, ms, ms, s; ratio at least). */
export const TARGETS = { coldTestS: 360, oneCaseMs: 500, oneCaseCommandMs: 350, suiteMs: 2500, incrementalS: 30, naiveRatio: 2, restoredRssMib: 100, explorePerSecond: 50 };

const ms = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} ms` : '-');
const s = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} s` : '-');
const perS = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)}/s` : '-');
const coreS = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} core-s` : '-');
const mib = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} MiB` : '-');
const row = (what: string, st: Stat, unit: (x: number) => string, target: string, met: boolean | null): string =>
  `| ${what} | ${unit(st.min)} | ${unit(st.median)} | ${unit(st.max)} | ${st.runs.length} | ${target} | ${met === null ? '' : met ? 'met' : '**not met**'} |`;

const breakdownRows = (b: Breakdown, restored: boolean): string[] =>
  restored
    ? [
        `| QEMU start-up (spawn → its monitor answers) | ${ms(b.qemuMs)} |`,
        `| restoring the snapshot (monitor → the guest runs, parked) | ${ms(b.toReadyMs - b.qemuMs)} |`,
        `| handing the cases over (\`g\` → the supervisor's header) | ${ms(b.handoverMs)} |`,
        `| unpacking and running the case (header → its end record) | ${ms(b.casesMs)} |`,
        `| power-off (end record → QEMU exit) | ${ms(b.powerOffMs)} |`,
        `| judging on the host (QEMU exit → verdict) | ${ms(b.judgeMs)} |`,
      ]
    : [
        `| kernel boot to \`Run /init\` (the kernel's own clock) | ${ms(b.kernelToInitMs)} |`,
        `| QEMU start-up, firmware, and init's set-up to its park (spawn → park, by difference) | ${ms(b.toReadyMs - b.kernelToInitMs)} |`,
        `| handing the cases over (park → the supervisor's header) | ${ms(b.handoverMs)} |`,
        `| unpacking and running the case (header → its end record) | ${ms(b.casesMs)} |`,
        `| power-off (end record → QEMU exit) | ${ms(b.powerOffMs)} |`,
        `| judging on the host (QEMU exit → verdict) | ${ms(b.judgeMs)} |`,
      ];

/** The QEMU stages between the command's own work before QEMU's spawn and after the verdict. */
const hostRows = (h: HostTime, qemu: string[]): string[] => [
  `| the command before QEMU (process start → QEMU spawned: Node, the CLI, the cases, the kernel, the payload) | ${ms(h.beforeMs)} |`,
  ...qemu,
  `| the command after the verdict (reports, exit) and the process's start-up before its clock | ${ms(h.afterMs)} |`,
];

/** The cold `npm test`, or what to type to measure it. */
const coldTestRow = (c: BenchResult['coldTest']): string => {
  const what = 'cold `npm test`: a fresh clone, an empty vmaspec cache (every kernel built), the Debian packages installed';
  const target = `≤ ${TARGETS.coldTestS / 60} min`;
  if (!c) return `| ${what} | not measured: \`npm run bench -- --cold-test\` | | | | ${target} | |`;
  // A run that failed counts for its time, and the figure says it failed: the target is not met.
  const failed = c.failed.map((f) => `; **failed**: exit ${f.exitCode}, ${f.log}`).join('');
  return row(`${what}; at ${c.commit.slice(0, 12)}${failed}`, c.seconds, s, target, c.failed.length === 0 && c.seconds.median <= TARGETS.coldTestS);
};

/**
 * Whether the cold `npm test` was bound by the cores: how busy they were, the shortest time its
 * work could take on this machine, and the share of the kernel build in it (medians).
 */
function coldTestCpu(r: BenchResult): string[] {
  const c = r.coldTest;
  if (!c) return [];
  const work = c.coreSeconds.median;
  const busy = Math.round((100 * work) / (r.machine.cpus * c.seconds.median));
  const build = r.coldBuildCpu.median;
  return [
    `The cold \`npm test\` kept the ${r.machine.cpus} cores ${busy} % busy: its work took ${coreS(work)}, so on this machine it takes at`,
    `least ${s(work / r.machine.cpus)} with every core busy all the time. A cold kernel build on its own (above) took ${coreS(build)}, ${Math.round((100 * build) / work)} % of that.`,
    `Within the target of ${s(TARGETS.coldTestS)} the cores give ${coreS(r.machine.cpus * TARGETS.coldTestS)}.`,
    '',
  ];
}

/** What an explore figure counts: sequences judged, and those the model said nothing of (not run). */
const exploreCounts = (runs: ExploreSpeed[]): string => {
  const judged = runs.reduce((n, x) => n + x.sequences, 0);
  const unclaimed = runs.reduce((n, x) => n + x.unclaimed, 0);
  return `${judged} judged${unclaimed ? `, ${unclaimed} the model says nothing of and does not run` : ''}; generation, runs and judging`;
};

export function renderPerformance(r: BenchResult): string {
  return [
    '# Performance',
    '',
    'Written by `npm run bench` (`vmaspec bench`) from its last run; the numbers are in',
    '[performance.json](performance.json). Do not edit: run the bench again.',
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, guests under ${r.machine.accel === 'tcg' ? 'software emulation (TCG; no working KVM)' : r.machine.accel.toUpperCase()}; kernel ${r.machine.kernel}; run started ${r.started}. Every figure comes from the same run, one after the other, on an otherwise idle machine as far as the bench knows; ratios compare figures of this run only.`,
    '',
    'A guest starts from a snapshot of a booted one: the first run of a kernel boots it, and when',
    'the supervisor is ready for cases (it parks) the host saves the VM\'s devices with QEMU\'s migration',
    'stream and its RAM as a file of its own into the cache; later runs restore them instead of booting',
    '(`--no-snapshot` boots): the RAM file is mapped copy-on-write, read only where the guest touches it.',
    'The cases go to the guest after that, through a fw_cfg file (docs/protocol.md). With the command',
    "server running (docs/serve.md), a worker that has the CLI loaded and such a guest restored, parked and",
    'warmed by one case takes the command instead, and a small archive goes over the guest\'s channel.',
    '',
    '| figure | min | median | max | runs | target | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row(`one case (\`${r.oneCaseId}\`), QEMU start → verdict`, r.oneCase, ms, `median ≤ ${TARGETS.oneCaseMs} ms`, r.oneCase.median <= TARGETS.oneCaseMs),
    row(`the same, from pressing enter: \`${r.command} run <case>\` (the README's command), its command server running (a worker with the CLI loaded, a guest parked and warm: docs/serve.md) start → exit`, r.oneCaseServed, ms, `median ≤ ${TARGETS.oneCaseCommandMs} ms`, r.oneCaseServed.median <= TARGETS.oneCaseCommandMs),
    row(`the same without the command server (\`VMASPEC_SERVE=0 ${r.command} run <case>\`: Node starts, loads the CLI, starts QEMU) start → exit`, r.oneCaseCommand, ms, '', null),
    row('the same case, the kernel booted (`--no-snapshot`), QEMU start → verdict', r.oneCaseBoot, ms, '', null),
    row(`whole suite, ${r.suiteCases} cases, kernel cached: \`${r.command} run\` through the command server, start → exit`, r.suiteServed, ms, `median ≤ ${TARGETS.suiteMs} ms`, r.suiteServed.median <= TARGETS.suiteMs),
    row(`the same without the command server (\`VMASPEC_SERVE=0\`)`, r.suite, ms, '', null),
    row('per case inside the guest (cases time / cases)', r.perCase, ms, '', null),
    row('incremental kernel build after touching mm/madvise.c', r.incrementalBuild, s, `≤ ${TARGETS.incrementalS} s`, r.incrementalBuild.max <= TARGETS.incrementalS),
    row('cold kernel build (a new build dir, from scratch)', r.coldBuild, s, '', null),
    row('the same: the busy time of the cores meanwhile (user and system time of every process)', r.coldBuildCpu, coreS, '', null),
    row(`profile kernel build (\`--profile ${r.profileName}\`: a new build dir seeded from the default's objects)`, r.profileBuild, s, '', null),
    coldTestRow(r.coldTest),
    ...(r.coldTest ? [row('the same: the busy time of the cores meanwhile', r.coldTest.coreSeconds, coreS, '', null)] : []),
    row('naive baseline: the same case on `-M pc` + SeaBIOS + bzImage, booted', r.naive, ms, `≥ ${TARGETS.naiveRatio}× the one-case median`, r.naiveRatio >= TARGETS.naiveRatio),
    row(`peak RSS of a guest restored from the snapshot (QEMU's VmHWM at its last case; ${r.guestRamMib} MiB of guest RAM)`, r.peakRssRestored, mib, `median ≤ ${TARGETS.restoredRssMib} MiB`, r.peakRssRestored.median <= TARGETS.restoredRssMib),
    row('peak RSS of a booted guest (`--no-snapshot`)', r.peakRssBooted, mib, '', null),
    row(`\`vmaspec explore\`, the model oracle: sequences judged per second (${exploreCounts(r.explore.model)})`, r.explore.perSecondModel, perS, `≥ ${TARGETS.explorePerSecond}/s`, r.explore.perSecondModel.median >= TARGETS.explorePerSecond),
    row(`\`vmaspec explore --oracle diff\`, the kernel against itself: sequences judged per second (${exploreCounts(r.explore.diff)})`, r.explore.perSecondDiff, perS, `≥ ${TARGETS.explorePerSecond}/s`, r.explore.perSecondDiff.median >= TARGETS.explorePerSecond),
    '',
    `Naive baseline / vmaspec, one case, QEMU start → verdict (medians): **${r.naiveRatio}×**.`,
    '',
    ...coldTestCpu(r),
    '## Where one case spends its time (medians)',
    '',
    `Restored from the snapshot (the default), as the command (\`${r.command} run <case>\`) spends it from pressing enter:`,
    '',
    '| stage | ms |',
    '| --- | --- |',
    ...hostRows(r.oneCaseHost, breakdownRows(r.oneCaseBreakdown, true)),
    '',
    'Booted (`--no-snapshot`):',
    '',
    '| stage | ms |',
    '| --- | --- |',
    ...breakdownRows(r.oneCaseBootBreakdown, false),
    '',
    '## What the start path does',
    '',
    '- `-M microvm` booting the uncompressed `vmlinux` through its PVH entry: no firmware, no',
    '  decompression, no PCI or ACPI (qemu/x86_64.yaml); the naive baseline above is what that saves.',
    '- A tinyconfig kernel with only what the cases need (kernel-config/); no legacy PTYs',
    '  (`pty_init` took ~100 ms of every boot), one vCPU under TCG.',
    '- An initramfs of two static programs, the same for every run and cached by content; the',
    '  cases come later, through fw_cfg, so that one snapshot serves every run.',
    '- The snapshot: the guest is saved once it is parked: the device state (~40 KB) and the RAM',
    '  (a sparse file: ~15 MB of 256 MiB in use), keyed by QEMU, the machine, the kernel and the',
    '  initramfs; a restore replaces the kernel boot. The RAM file is mapped privately (QEMU\'s',
    '  `memory-backend-file`, `share=off`; the stream skips it with `x-ignore-shared`): a restore',
    '  reads no RAM, and the guest costs only the pages it touches (through the stream, QEMU 7.2',
    '  wrote every page of the guest\'s RAM, zero pages too: ~300 MiB of RSS per restored guest).',
    '  TCG translates the kernel\'s code again after a restore, so the first case of a restored',
    '  guest runs slower than the same case later in a boot.',
    '- Power-off is a triple fault (`reboot=t` with `-no-reboot`): QEMU exits at once.',
    '- Guests side by side (`--jobs`, default: the cores), the cases shared out by their last',
    '  durations; a case that spent its last run waiting (the guest\'s CPU idle: an upstream',
    '  selftest sleeps 1 s) gets a guest of its own beside them (runner/plan/split.ts).',
    '- Under TCG the guest kernel is given the host\'s TSC rate (`tsc_early_khz=`): calibrating',
    '  it against the PIT failed on the busy host and left the kernel on a 4 ms clock',
    '  (runner/qemu/host-tsc.ts); a booted guest on such a clock is never saved as the snapshot.',
    '- The command starts from one esbuild bundle of the CLI, compiled from V8\'s code cache kept',
    '  beside it (runner/bin/code-cache.mjs), and spawns no tool whose answer it has kept: the',
    '  versions of gcc and musl-gcc and of the kernel source package are cached under the identity',
    '  of the files they come from (runner/util/tool-answer.ts). The README\'s `./vmaspec` runs it',
    '  without npm\'s start-up, which `npx vmaspec` adds.',
    '',
  ].join('\n');
}
