// The gate's decision: the change's verdicts against the base's, case by case.
import type { CaseReport, RunReport } from '../report/types.js';
import type { VerdictKind } from '../verdict/types.js';

/** How one case moved from the base kernel to the changed one. */
export type Movement =
  /** passed (or skipped) on the base, does not pass on the change: a regression */
  | 'newly-failing'
  /** a kernel report (splat) on the change that the base did not have: a regression */
  | 'new-splat'
  /** did not pass on the base, passes on the change */
  | 'newly-passing'
  /** does not pass on either: reported, not held against the change */
  | 'failing-in-both'
  | 'unchanged';

export interface CaseMovement {
  id: string;
  base: VerdictKind | 'absent';
  change: VerdictKind | 'absent';
  movement: Movement;
  /** The change's first failure message, for the table. */
  why?: string;
}

export interface GateComparison {
  cases: CaseMovement[];
  regressions: number;
}

const bad = (v: VerdictKind | 'absent'): boolean => v !== 'pass' && v !== 'skip' && v !== 'absent';

/** The movement of one case (a case missing from one side counts as not run there). */
export function movement(base: VerdictKind | 'absent', change: VerdictKind | 'absent'): Movement {
  if (change === 'splat' && base !== 'splat') return 'new-splat';
  if (bad(change) && !bad(base)) return 'newly-failing';
  if (!bad(change) && bad(base)) return 'newly-passing';
  if (bad(change) && bad(base)) return 'failing-in-both';
  return 'unchanged';
}

/** Compares two runs of the same cases. */
export function compareRuns(base: RunReport, change: RunReport): GateComparison {
  const byId = (r: RunReport): Map<string, CaseReport> => new Map(r.cases.map((c) => [c.id, c]));
  const b = byId(base);
  const c = byId(change);
  const ids = [...new Set([...base.cases.map((x) => x.id), ...change.cases.map((x) => x.id)])];
  const cases = ids.map((id): CaseMovement => {
    const bv = b.get(id)?.verdict ?? 'absent';
    const cc = c.get(id);
    const cv = cc?.verdict ?? 'absent';
    const m: CaseMovement = { id, base: bv, change: cv, movement: movement(bv, cv) };
    const why = cc?.failures[0]?.message ?? cc?.skipReason;
    if (why && m.movement !== 'unchanged') m.why = why;
    return m;
  });
  return { cases, regressions: cases.filter((m) => m.movement === 'newly-failing' || m.movement === 'new-splat').length };
}

/** The sections of the regression table, in order: the movements that are reported, each with its heading. */
export const HEADINGS: [Movement, string][] = [
  ['newly-failing', 'Newly failing (regressions)'],
  ['new-splat', 'New kernel reports (regressions)'],
  ['newly-passing', 'Newly passing'],
  ['failing-in-both', 'Failing on the base too (not held against the change)'],
];

/** The regression table as text: one section per movement, one line per case. */
export function formatComparison(cmp: GateComparison, base: string, change: string): string {
  const lines = [`gate: base ${base}`, `gate: change ${change}`];
  for (const [kind, heading] of HEADINGS) {
    const rows = cmp.cases.filter((m) => m.movement === kind);
    if (rows.length === 0) continue;
    lines.push('', `${heading}: ${rows.length}`);
    const width = Math.max(...rows.map((r) => r.id.length));
    for (const r of rows) lines.push(`  ${r.id.padEnd(width)}  ${r.base} -> ${r.change}${r.why ? `  ${r.why}` : ''}`);
  }
  const unchanged = cmp.cases.filter((m) => m.movement === 'unchanged').length;
  lines.push('', `gate: ${cmp.regressions === 0 ? 'PASS' : 'FAIL'}: ${cmp.regressions} regression(s), ${unchanged} of ${cmp.cases.length} case(s) unchanged`);
  return `${lines.join('\n')}\n`;
}
