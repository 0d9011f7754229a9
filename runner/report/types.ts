// The run report: what reporters (terminal, JSON, …) consume.
import type { Failure, VerdictKind } from '../verdict/types.js';

export const REPORT_SCHEMA = 'vmaspec-report/1';

/** The kernel under test, as far as the run knows it. */
export interface KernelInfo {
  /** `uname -r` of the guest, e.g. `6.12.117`. */
  release: string | null;
  arch: string;
  /** Where it came from: `debian:linux-source-6.12`, a tree path, a prebuilt image … */
  source: string | null;
  /** Build cache key or image hash, when known. */
  id?: string | null;
}

export interface CaseReport {
  id: string;
  file: string;
  title: string;
  verdict: VerdictKind;
  durationMs: number | null;
  failures: Failure[];
  skipReason?: string;
  notes?: string[];
}

/** Cases per verdict, and their total. */
export type Summary = Record<VerdictKind, number> & { total: number };

export interface RunReport {
  schema: typeof REPORT_SCHEMA;
  kernel: KernelInfo;
  /** ISO 8601 start time. */
  started: string;
  durationMs: number;
  cases: CaseReport[];
  summary: Summary;
}

export interface RunStart {
  kernel: KernelInfo;
  started: string;
  /** Number of cases the run will report. */
  cases: number;
}

/** Lifecycle hooks; a reporter implements those it needs. */
export interface Reporter {
  onRunStart?(run: RunStart): void | Promise<void>;
  onCaseDone?(result: CaseReport): void | Promise<void>;
  onRunDone?(report: RunReport): void | Promise<void>;
}
