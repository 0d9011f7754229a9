// The kernel matrix: one run report per kernel joined into rows (one per case) and
// columns (one per kernel), printed as a table with the skip reasons as footnotes.
import type { RunReport } from '../report/types.js';
import type { VerdictKind } from '../verdict/types.js';

export const MATRIX_SCHEMA = 'vmaspec-matrix/1';

/** One kernel of the matrix: how it was named and what it turned out to be. */
export interface MatrixKernel {
  /** As given: `debian:6.1`, `tree:~/linux` … */
  label: string;
  /** From the built tree (`include/config/kernel.release`), not from the label. */
  release: string | null;
}

export interface MatrixCell {
  verdict: VerdictKind | 'absent';
  /** skip: why; other non-pass verdicts: the first failure message. */
  reason?: string;
}

export interface MatrixRow {
  id: string;
  cells: MatrixCell[];
}

/** The JSON of a run on several kernels (schema vmaspec-matrix/1). */
export interface MatrixReport {
  schema: typeof MATRIX_SCHEMA;
  kernels: MatrixKernel[];
  rows: MatrixRow[];
  /** The full report of each kernel, in the order of `kernels`. */
  runs: RunReport[];
}

export function buildMatrix(labels: readonly string[], runs: readonly RunReport[]): MatrixReport {
  const ids = [...new Set(runs.flatMap((r) => r.cases.map((c) => c.id)))];
  const byRun = runs.map((r) => new Map(r.cases.map((c) => [c.id, c])));
  const rows = ids.map((id) => ({
    id,
    cells: byRun.map((m): MatrixCell => {
      const c = m.get(id);
      if (!c) return { verdict: 'absent' };
      const reason = c.verdict === 'skip' ? c.skipReason : c.verdict === 'pass' ? undefined : c.failures[0]?.message;
      return reason ? { verdict: c.verdict, reason } : { verdict: c.verdict };
    }),
  }));
  return { schema: MATRIX_SCHEMA, kernels: runs.map((r, i) => ({ label: labels[i] ?? `kernel ${i + 1}`, release: r.kernel.release })), rows, runs: [...runs] };
}

/** True when every cell passed or was skipped. */
export const matrixPassed = (m: MatrixReport): boolean => m.rows.every((r) => r.cells.every((c) => c.verdict === 'pass' || c.verdict === 'skip'));

/** The table: a column per kernel, `skip[n]` pointing at the n-th reason listed under it. */
export function formatMatrix(m: MatrixReport): string {
  const reasons: string[] = [];
  const note = (r: string): number => {
    const i = reasons.indexOf(r);
    if (i >= 0) return i + 1;
    reasons.push(r);
    return reasons.length;
  };
  const cellText = (c: MatrixCell): string => (c.verdict === 'skip' && c.reason ? `skip[${note(c.reason)}]` : c.verdict);
  const header = ['case', ...m.kernels.map((k) => `${k.label} (${k.release ?? '?'})`)];
  const body = m.rows.map((r) => [r.id, ...r.cells.map(cellText)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cols: string[]): string => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  const totals = m.kernels.map((_, k) => {
    const count = (v: string): number => m.rows.filter((r) => r.cells[k]?.verdict === v).length;
    return `${count('pass')} pass, ${count('skip')} skip, ${m.rows.length - count('pass') - count('skip')} other`;
  });
  out.push(line(widths.map((w) => '-'.repeat(w))), line(['', ...totals]));
  if (reasons.length > 0) out.push('', ...reasons.map((r, i) => `[${i + 1}] ${r}`));
  return `${out.join('\n')}\n`;
}
