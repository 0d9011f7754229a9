// What a case's version guards say about a kernel release (runner/kernel/version-coverage.ts):
// a kernel outside every guard gets a note; open-ended guards past every named version are
// extrapolations the run's summary counts.
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { versionCoverage, versionNotes, versionSummary } from '../../runner/kernel/version-coverage.js';

function load(text: string): Case {
  const r = parseCase(text, 'cases/x/v.yaml', 'x/v');
  if (!r.case) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.case;
}

// The shape of cases/formats/f8-smaps-rollup.yaml: one expectation for 6.1, one from 6.12 on.
const split = load(`title: t
steps:
  - map: { at: 2, pages: 1 }
  - expect: { vmas: 1 }
    when: { kernel: "=6.1" }
  - fork:
      child:
        - expect: { vmas: 1 }
          when: { kernel: ">=6.12" }
      parent: []
`);
const ranged = load('title: t\nrequires: { kernel: ">=5.17 <6.13" }\nsteps:\n  - map: { at: 2, pages: 1 }\n');
const plain = load('title: t\nrequires: { kernel: ">=5.17" }\nsteps:\n  - map: { at: 2, pages: 1 }\n');

describe('versionCoverage', () => {
  it('says nothing on a kernel a guard covers and the case names', () => {
    expect(versionCoverage(split, '6.1.119')).toEqual({ endsBefore: null, uncovered: [], extrapolated: [] });
    expect(versionCoverage(split, '6.12.5')).toEqual({ endsBefore: null, uncovered: [], extrapolated: [] });
  });

  it('lists every guarded step, fork branches included, when no guard covers the kernel', () => {
    expect(versionCoverage(split, '6.6.30').uncovered).toEqual([
      { path: 'steps[1]', range: '=6.1' },
      { path: 'steps[2].fork.child[0]', range: '>=6.12' },
    ]);
  });

  it('calls an open-ended guard past every named version an extrapolation', () => {
    expect(versionCoverage(split, '6.18.44-fc-v1252')).toEqual({ endsBefore: null, uncovered: [], extrapolated: ['>=6.12'] });
    // 6.12.x is still named by >=6.12 (a bound compares at its own precision).
    expect(versionCoverage(split, '6.12.118').extrapolated).toEqual([]);
  });

  it('marks a required range that ends before the kernel, and not one the kernel has not reached', () => {
    expect(versionCoverage(ranged, '6.18.1').endsBefore).toBe('>=5.17 <6.13');
    expect(versionCoverage(ranged, '6.13.0-rc1').endsBefore).toBe('>=5.17 <6.13');
    expect(versionCoverage(ranged, '5.10.0').endsBefore).toBeNull();
    expect(versionCoverage(plain, '6.18.1')).toEqual({ endsBefore: null, uncovered: [], extrapolated: [] });
  });

  it('has nothing to say about a release without a version', () => {
    expect(versionCoverage(ranged, 'weird')).toEqual({ endsBefore: null, uncovered: [], extrapolated: [] });
  });
});

describe('versionNotes and versionSummary', () => {
  it('gives a note for a range that ends before the kernel and for a kernel no guard covers', () => {
    expect(versionNotes(versionCoverage(ranged, '6.18.1'), '6.18.1')).toEqual(['no expectation for 6.18.1: the case describes kernels >=5.17 <6.13 only, and this one is newer']);
    expect(versionNotes(versionCoverage(split, '6.6.3'), '6.6.3')).toEqual(['no version-guarded step covers 6.6.3 (steps[1] =6.1, steps[2].fork.child[0] >=6.12): only the unguarded steps ran']);
    expect(versionNotes(versionCoverage(split, '6.18.1'), '6.18.1')).toEqual([]);
  });

  it('sums up, counting extrapolations only of cases that ran', () => {
    const line = versionSummary(
      [
        { id: 'a/ranged', cov: versionCoverage(ranged, '6.18.1'), ran: false },
        { id: 'a/split', cov: versionCoverage(split, '6.18.1'), ran: true },
        { id: 'a/skipped', cov: versionCoverage(split, '6.18.1'), ran: false },
      ],
      '6.18.1',
    );
    expect(line).toBe('versions: on 6.18.1, 1 case(s) describe only older kernels: a/ranged (>=5.17 <6.13); 1 case(s) ran steps under open-ended guards (>=6.12) past every version they name: a/split');
    expect(versionSummary([{ id: 'a/split', cov: versionCoverage(split, '6.12.1'), ran: true }], '6.12.1')).toBeNull();
  });
});
