// docs/performance.md from a bench result (docs/performance.json): the figures, the
// targets of issue 7 beside them, and the machine they came from.
import type { Stat } from './stats.js';
import type { BenchResult } from './bench.js';

/** The targets the figures are held to (ms, ms, s; ratio at least). */
export const TARGETS = { oneCaseMs: 500, suiteMs: 5000, incrementalS: 30, naiveRatio: 2 };

const ms = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} ms` : '-');
const s = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} s` : '-');
const row = (what: string, st: Stat, unit: (x: number) => string, target: string, met: boolean | null): string =>
  `| ${what} | ${unit(st.min)} | ${unit(st.median)} | ${unit(st.max)} | ${st.runs.length} | ${target} | ${met === null ? '' : met ? 'met' : '**not met**'} |`;

export function renderPerformance(r: BenchResult): string {
  const b = r.breakdown;
  return [
    '# Performance',
    '',
    'Written by `npm run bench` (`vmaspec bench`) from its last run; the numbers are in',
    '[performance.json](performance.json). Do not edit: run the bench again.',
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, guests under ${r.machine.accel === 'tcg' ? 'software emulation (TCG; no working KVM)' : r.machine.accel.toUpperCase()}; kernel ${r.machine.kernel}; run started ${r.started}. Every figure comes from the same run, one after the other, on an otherwise idle machine as far as the bench knows; ratios compare figures of this run only.`,
    '',
    '| figure | min | median | max | runs | target | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row(`one case (\`${r.oneCaseId}\`), QEMU start → verdict`, r.oneCase, ms, `median ≤ ${TARGETS.oneCaseMs} ms`, r.oneCase.median <= TARGETS.oneCaseMs),
    row(`whole suite, ${r.suiteCases} cases, kernel cached`, r.suite, ms, `median ≤ ${TARGETS.suiteMs} ms`, r.suite.median <= TARGETS.suiteMs),
    row('per case inside the guest (cases time / cases)', r.perCase, ms, '', null),
    row('incremental kernel build after touching mm/madvise.c', r.incrementalBuild, s, `≤ ${TARGETS.incrementalS} s`, r.incrementalBuild.max <= TARGETS.incrementalS),
    row('cold kernel build (a new build dir)', r.coldBuild, s, '', null),
    row('naive baseline: the same case on `-M pc` + SeaBIOS + bzImage', r.naive, ms, `≥ ${TARGETS.naiveRatio}× the one-case median`, r.naiveRatio >= TARGETS.naiveRatio),
    '',
    `Naive baseline / vmaspec, one case (medians): **${r.naiveRatio}×**.`,
    '',
    '## Where one case spends its time (medians)',
    '',
    '| stage | ms |',
    '| --- | --- |',
    `| QEMU start-up + firmware (QEMU start → kernel entry, by difference) | ${ms(b.toInitMs - b.kernelToInitMs)} |`,
    `| kernel boot to \`Run /init\` (the kernel's own clock) | ${ms(b.kernelToInitMs)} |`,
    `| the case (supervisor header → the case's end record) | ${ms(b.casesMs)} |`,
    `| power-off (end record → QEMU exit) | ${ms(b.powerOffMs)} |`,
    `| judging on the host (QEMU exit → verdict) | ${ms(b.judgeMs)} |`,
    '',
  ].join('\n');
}
