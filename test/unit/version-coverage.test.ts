// What a case's version guards say about a kernel release (runner/kernel/version-coverage.ts):
// a kernel outside every guard gets a note; open-ended guards on a kernel past every version
// the run's cases name are extrapolations the run's summary counts.
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

const none = (named: number[][]) => ({ endsBefore: null, uncovered: [], open: [], named });

describe('versionCoverage', () => {
  it('says nothing on a kernel a closed guard covers', () => {
    expect(versionCoverage(split, '6.1.119')).toEqual(none([[6, 1], [6, 12]]));
  });

  it('lists every guarded step, fork branches included, when no guard covers the kernel', () => {
    expect(versionCoverage(split, '6.6.30').uncovered).toEqual([
      { path: 'steps[1]', range: '=6.1' },
      { path: 'steps[2].fork.child[0]', range: '>=6.12' },
    ]);
  });

  it('names the open-ended guards that hold', () => {
    expect(versionCoverage(split, '6.18.44-fc-v1252').open).toEqual(['>=6.12']);
    expect(versionCoverage(split, '6.12.118').open).toEqual(['>=6.12']);
  });

  it('marks a required range that ends before the kernel, and not one the kernel has not reached', () => {
    expect(versionCoverage(ranged, '6.18.1').endsBefore).toBe('>=5.17 <6.13');
    expect(versionCoverage(ranged, '6.13.0-rc1').endsBefore).toBe('>=5.17 <6.13');
    expect(versionCoverage(ranged, '5.10.0').endsBefore).toBeNull();
    expect(versionCoverage(plain, '6.18.1')).toEqual(none([[5, 17]]));
  });

  it('has nothing to say about a release without a version', () => {
    expect(versionCoverage(ranged, 'weird')).toEqual(none([]));
  });
});

describe('versionNotes and versionSummary', () => {
  it('gives a note for a range that ends before the kernel and for a kernel no guard covers', () => {
    expect(versionNotes(versionCoverage(ranged, '6.18.1'), '6.18.1')).toEqual(['no expectation for 6.18.1: the case describes kernels >=5.17 <6.13 only, and this one is newer']);
    expect(versionNotes(versionCoverage(split, '6.6.3'), '6.6.3')).toEqual(['no version-guarded step covers 6.6.3 (steps[1] =6.1, steps[2].fork.child[0] >=6.12): only the unguarded steps ran']);
    expect(versionNotes(versionCoverage(split, '6.18.1'), '6.18.1')).toEqual([]);
  });

  const at = (release: string) => [
    { id: 'a/ranged', cov: versionCoverage(ranged, release), ran: false },
    { id: 'a/split', cov: versionCoverage(split, release), ran: true },
    { id: 'a/skipped', cov: versionCoverage(split, release), ran: false },
  ];

  it('on a kernel past every version the cases name, counts the extrapolations of the cases that ran', () => {
    expect(versionSummary(at('6.18.1'), '6.18.1')).toBe(
      'versions: on 6.18.1, 1 case(s) describe only older kernels: a/ranged (>=5.17 <6.13); it is newer than every version the cases name, and 1 case(s) ran steps under open-ended guards (>=6.12) written for older kernels: a/split',
    );
  });

  it('calls nothing extrapolated on a kernel the cases name (6.13 is named by <6.13)', () => {
    expect(versionSummary(at('6.13.2'), '6.13.2')).toBe('versions: on 6.13.2, 1 case(s) describe only older kernels: a/ranged (>=5.17 <6.13)');
    expect(versionSummary(at('6.12.118'), '6.12.118')).toBeNull();
  });
});
