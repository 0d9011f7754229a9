// The run report: what reporters (terminal, JSON, …) consume.
import type { Accel } from '../qemu/arch.js';
import type { BootTiming } from '../qemu/timing.js';
import type { Failure, KernelHealth, VerdictKind } from '../verdict/types.js';

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
  /** What the kernel reported during the case (runner/health/): the deciding title, every report, the log file. */
  kernel?: KernelHealth;
  /** The case's top-level steps, for reports that show them as subtests; absent for custom probes and skipped cases. */
  steps?: StepResult[];
}

/** One top-level step of a case: `steps[2].name`, and how it went. */
export interface StepResult {
  name: string;
  /** notrun: the guest never reported it (the probe stopped or the guest died before it). */
  status: 'pass' | 'fail' | 'skip' | 'notrun';
  /** skip: why (a `when` that this kernel does not meet); notrun: why it has no result. */
  reason?: string;
  /** fail: the failure messages whose key path lies in the step. */
  messages?: string[];
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
  /** Where the time of each boot went (runner/qemu/timing.ts); absent in merged reports. */
  boots?: BootTiming[];
  /** How the guests ran: under KVM or software emulation (TCG). */
  accel?: Accel;
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
