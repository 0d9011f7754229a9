// Builds report data from cases and verdicts, and drives reporters.
import type { Case } from '../cases/types.js';
import type { Accel } from '../qemu/arch.js';
import type { BootTiming } from '../qemu/timing.js';
import { VERDICT_KINDS, type Verdict } from '../verdict/types.js';
import { REPORT_SCHEMA, type CaseReport, type KernelInfo, type Reporter, type RunReport, type StepResult, type Summary } from './types.js';

/** A case's report; `steps` (the top-level steps' results) when the case ran steps. */
export function caseReport(c: Pick<Case, 'id' | 'file' | 'title'>, v: Verdict, steps?: StepResult[]): CaseReport {
  const r: CaseReport = { id: c.id, file: c.file, title: c.title, verdict: v.verdict, durationMs: v.durationMs, failures: v.failures };
  if (v.skipReason !== undefined) r.skipReason = v.skipReason;
  if (v.notes.length) r.notes = v.notes;
  if (v.kernel) r.kernel = v.kernel;
  if (steps && steps.length > 0) r.steps = steps;
  return r;
}

export function summarize(cases: readonly CaseReport[]): Summary {
  const s = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<keyof Summary, number>;
  for (const c of cases) s[c.verdict]++;
  s.total = cases.length;
  return s;
}

export function runReport(run: { kernel: KernelInfo; started: string; durationMs: number; cases: CaseReport[]; boots?: BootTiming[]; accel?: Accel }): RunReport {
  return { schema: REPORT_SCHEMA, ...run, summary: summarize(run.cases) };
}

/** Calls one hook on every reporter, in order. */
export async function emit<K extends keyof Reporter>(reporters: readonly Reporter[], hook: K, arg: Parameters<NonNullable<Reporter[K]>>[0]): Promise<void> {
  for (const r of reporters) {
    const fn = r[hook] as ((a: typeof arg) => void | Promise<void>) | undefined;
    await fn?.call(r, arg);
  }
}
