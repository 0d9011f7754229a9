// What a case's version guards say about one kernel release: a kernel outside every guard is
// information, not noise. A case whose `requires.kernel` range ends before the kernel
// describes only older kernels (it is skipped: nobody wrote down what this kernel does); a
// case whose `when.kernel` guards all leave the kernel out runs its unguarded steps alone
// (the version-specific expectations have no version for it). Both get a note. On a kernel
// newer than every version the run's cases name, a guard that holds only because it is
// open-ended (`>=6.12`) is an extrapolation: the run's summary line counts those.
import type { Case, Step } from '../cases/types.js';
import { compareVersions, pastVersion, rangeMatches, releaseVersion, validRange } from './version-range.js';

/** The version guards of one case against one release. */
export interface VersionCoverage {
  /** `requires.kernel`, when the release is newer than its upper end. */
  endsBefore: string | null;
  /** Every `when.kernel` guard with its step's key path, when none of them holds for the release; else empty. */
  uncovered: { path: string; range: string }[];
  /** The open-ended `when.kernel` ranges (no upper limit) that hold for the release. */
  open: string[];
  /** Every version the case's ranges name (`requires` and `when`), as written. */
  named: (readonly number[])[];
}

/** Every step's `when.kernel`, with its key path (fork branches included, as the plan compiler names them). */
function guards(steps: readonly Step[], base = 'steps'): { path: string; range: string }[] {
  return steps.flatMap((s, i) => {
    const path = `${base}[${i}]`;
    const own = s.when?.kernel ? [{ path, range: s.when.kernel }] : [];
    return s.kind === 'fork' ? [...own, ...guards(s.child, `${path}.fork.child`), ...guards(s.parent, `${path}.fork.parent`)] : own;
  });
}

/** What the case's version guards say about the release; nothing when it has no version. */
export function versionCoverage(c: Pick<Case, 'requires' | 'steps'>, release: string): VersionCoverage {
  const v = releaseVersion(release);
  if (v === null) return { endsBefore: null, uncovered: [], open: [], named: [] };
  const required = c.requires.kernel === null ? null : validRange(c.requires.kernel);
  const endsBefore = required !== null && required.bounds.some((b) => b.until !== null && compareVersions(v, b.until) >= 0) ? required.text : null;
  const stepGuards = guards(c.steps);
  const holding = stepGuards.filter((g) => rangeMatches(g.range, release));
  const named = [...(required?.bounds ?? []), ...stepGuards.flatMap((g) => validRange(g.range).bounds)].map((b) => b.version);
  const open = [...new Set(holding.filter((g) => validRange(g.range).bounds.every((b) => b.until === null)).map((g) => g.range))];
  return { endsBefore, uncovered: stepGuards.length > 0 && holding.length === 0 ? stepGuards : [], open, named };
}

/** The notes a case gets: one when its range ends before the release, one when no step guard covers it. */
export function versionNotes(cov: VersionCoverage, release: string): string[] {
  const notes: string[] = [];
  if (cov.endsBefore !== null) notes.push(`no expectation for ${release}: the case describes kernels ${cov.endsBefore} only, and this one is newer`);
  if (cov.uncovered.length > 0) {
    const list = cov.uncovered.map((g) => `${g.path} ${g.range}`).join(', ');
    notes.push(`no version-guarded step covers ${release} (${list}): only the unguarded steps ran`);
  }
  return notes;
}

/**
 * The run's line on the version guards: cases outside every guard, and, on a kernel newer than
 * every version the run's cases name, the cases that ran steps of open-ended guards
 * (extrapolated to it); null when there is nothing to say.
 */
export function versionSummary(cases: readonly { id: string; cov: VersionCoverage; ran: boolean }[], release: string): string | null {
  const v = releaseVersion(release);
  const named = cases.flatMap((c) => c.cov.named);
  const newest = v !== null && named.length > 0 && named.every((n) => pastVersion(v, n));
  const ends = cases.filter((c) => c.cov.endsBefore !== null);
  const gaps = cases.filter((c) => c.cov.uncovered.length > 0);
  const extra = newest ? cases.filter((c) => c.ran && c.cov.open.length > 0) : [];
  const parts = [
    ends.length ? `${ends.length} case(s) describe only older kernels: ${ends.map((c) => `${c.id} (${c.cov.endsBefore})`).join(', ')}` : null,
    gaps.length ? `${gaps.length} case(s) have version-guarded steps none of which covers it: ${gaps.map((c) => c.id).join(', ')}` : null,
    extra.length ? `it is newer than every version the cases name, and ${extra.length} case(s) ran steps under open-ended guards (${[...new Set(extra.flatMap((c) => c.cov.open))].sort().join(', ')}) written for older kernels: ${extra.map((c) => c.id).join(', ')}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? `versions: on ${release}, ${parts.join('; ')}` : null;
}
