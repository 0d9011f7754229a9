// The gate reports of shards joined into one: both runs merged (runner/report/shard.ts),
// the comparison made again over all cases.
import { VmaspecError } from '../errors.js';
import { mergeReports } from '../report/shard.js';
import { compareRuns } from './compare.js';
import { GATE_SCHEMA, type GateReport } from './run.js';

export function mergeGates(gates: readonly GateReport[], labels: readonly string[]): GateReport {
  const first = gates[0];
  if (!first) throw new VmaspecError('E_USAGE', 'merge: no reports given');
  gates.forEach((g, i) => {
    if (JSON.stringify(g.series) !== JSON.stringify(first.series)) throw new VmaspecError('E_USAGE', `merge: ${labels[i] ?? `report ${i + 1}`} gated another series than ${labels[0] ?? 'report 1'}`);
  });
  const base = mergeReports(gates.map((g) => g.base), labels);
  const change = mergeReports(gates.map((g) => g.change), labels);
  return { schema: GATE_SCHEMA, base, change, series: first.series, comparison: compareRuns(base, change) };
}
