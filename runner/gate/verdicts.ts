// The gate's decision as a run report, for KTAP and JUnit: the change's cases, where a
// case that does not pass on the base either is a skip with that reason (reported, not
// held against the change). Regressions keep their failing verdict.
import { runReport } from '../report/build.js';
import type { CaseReport, RunReport } from '../report/types.js';
import type { GateReport } from './run.js';

export function gateVerdicts(gate: GateReport): RunReport {
  const moved = new Map(gate.comparison.cases.map((m) => [m.id, m]));
  const cases = gate.change.cases.map((c): CaseReport => {
    const m = moved.get(c.id);
    if (m?.movement !== 'failing-in-both') return c;
    return { ...c, verdict: 'skip', skipReason: `does not pass on the base kernel either (base: ${m.base}, change: ${m.change})` };
  });
  return runReport({ kernel: gate.change.kernel, started: gate.base.started, durationMs: gate.base.durationMs + gate.change.durationMs, cases });
}
