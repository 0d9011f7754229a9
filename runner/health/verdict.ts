// A case's verdict with what the kernel said during it: a report (not accepted by
// known-splats.yaml) or a taint change makes it `splat`; a case the guest died in, or
// that the kernel hung, stays `crashed` and takes the report's title.
import { taintLetters } from '../verdict/status.js';
import type { Failure, Verdict } from '../verdict/types.js';
import { knownSplat, type KnownSplat } from './allowlist.js';
import { HANG_KINDS } from './patterns.js';
import type { KernelReport } from './scan.js';

export interface HealthInput {
  reports: readonly KernelReport[];
  taintBefore: number;
  /** null when the case never ended. */
  taintAfter: number | null;
  /** The case timed out (killed, or left unkillable). */
  timedOut: boolean;
  known: readonly KnownSplat[];
  release: string | null;
  /** Where the case's kernel log was written, for the messages. */
  log: string | null;
  /** Why the host stopped the guest during this case, when it did (the per-case watchdog). */
  watchdog?: string;
}

/** Lines of a report shown under its failure; the whole text is in the artifacts. */
const SHOWN_LINES = 30;

const taintText = (t: number): string => (t ? `${t} (${taintLetters(t)})` : '0');

function kernelFailure(r: KernelReport, log: string | null): Failure {
  const more = r.lines.length > SHOWN_LINES ? [`… ${r.lines.length - SHOWN_LINES} more line(s)`] : [];
  return { kind: 'kernel', message: `kernel: ${r.title}`, path: null, proc: null, step: null, details: [...r.lines.slice(0, SHOWN_LINES), ...more, ...(log ? [`kernel log: ${log}`] : [])] };
}

/** The report that names a crash: a fatal or hang report first, then any. */
function crashReport(reports: readonly KernelReport[]): KernelReport | undefined {
  const fatal = reports.find((r) => r.kind === 'panic' || r.kind === 'oops' || r.kind === 'bug' || HANG_KINDS.includes(r.kind) || r.lines.some((l) => /Kernel panic - not syncing/.test(l)));
  return fatal ?? reports[0];
}

export function applyHealth(base: Verdict, h: HealthInput): Verdict {
  const judged = h.reports.map((r) => ({ r, known: knownSplat(r, h.known, h.release) }));
  const unknown = judged.filter((j) => j.known === null).map((j) => j.r);
  const notes = [...base.notes];
  for (const j of judged) if (j.known) notes.push(`known kernel report, accepted by ${j.known.where}: ${j.r.title} (${j.known.reason})`);
  const reports = judged.map((j) => ({ title: j.r.title, kind: j.r.kind, known: j.known ? `${j.known.where}: ${j.known.reason}` : null }));
  const health = (title: string | null): Verdict['kernel'] => (reports.length || title ? { title, reports, log: h.log } : undefined);
  const watchdog: Failure[] = h.watchdog ? [{ kind: 'harness', message: h.watchdog, path: null, proc: null, step: null }] : [];

  const hang = unknown.find((r) => HANG_KINDS.includes(r.kind));
  if (base.verdict === 'crashed' || (h.timedOut && hang)) {
    const r = hang ?? crashReport(unknown) ?? crashReport(h.reports);
    const failures = [...(r ? [kernelFailure(r, h.log)] : []), ...watchdog, ...base.failures];
    const kernel = health(r?.title ?? null);
    return { ...base, verdict: 'crashed', failures, notes, ...(kernel ? { kernel } : {}) };
  }
  if (unknown.length) {
    const kernel = health(unknown[0]!.title)!;
    return { ...base, verdict: 'splat', failures: [...unknown.map((r) => kernelFailure(r, h.log)), ...base.failures], notes, kernel };
  }
  if (h.taintAfter !== null && h.taintAfter !== h.taintBefore && reports.length === 0) {
    const title = `kernel taint changed: ${taintText(h.taintBefore)} -> ${taintText(h.taintAfter)}`;
    const failure: Failure = { kind: 'kernel', message: `kernel: ${title}, and the log shows no report the scanner knows${h.log ? ` (kernel log: ${h.log})` : ''}`, path: null, proc: null, step: null };
    return { ...base, verdict: 'splat', failures: [failure, ...base.failures], notes: notes.filter((n) => !n.startsWith('kernel taint changed')), kernel: { title, reports, log: h.log } };
  }
  const kernel = health(null);
  return { ...base, notes, ...(kernel ? { kernel } : {}) };
}
