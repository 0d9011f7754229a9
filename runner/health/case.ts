// The health of one case: its kernel log (K records when it ended, the console when the
// guest died in it), the reports the scanner finds there, the log in the artifacts, and
// the verdict that follows (verdict.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { CaseRecord } from '../results/types.js';
import type { Verdict } from '../verdict/types.js';
import type { KnownSplat } from './allowlist.js';
import { withoutMarks } from './attribute.js';
import { formatLogLine, kmsgLines, type LogLine } from './log.js';
import { scanReports } from './scan.js';
import { applyHealth } from './verdict.js';

export interface CaseHealthInput {
  caseId: string;
  verdict: Verdict;
  record: CaseRecord | undefined;
  /** The case's console lines (between its marks), for a case that did not end. */
  console: readonly LogLine[] | undefined;
  known: readonly KnownSplat[];
  release: string | null;
  artifactsDir: string;
  watchdog?: string;
}

/** The case's kernel log: its K records when the supervisor sent them, else what the console shows. */
export function caseLogLines(record: CaseRecord | undefined, consoleLines: readonly LogLine[] | undefined): LogLine[] {
  if (record?.end && record.kmsg !== undefined) return withoutMarks(kmsgLines(record.kmsg));
  return [...(consoleLines ?? [])];
}

/** Judges the kernel's health during one case and writes its log to `kmsg/<case-id>.log`. */
export async function judgeCaseHealth(input: CaseHealthInput): Promise<Verdict> {
  const { record } = input;
  if (!record) return input.verdict;
  const lines = caseLogLines(record, input.console);
  const reports = scanReports(lines);
  let log: string | null = null;
  if (lines.length > 0) {
    const file = join(input.artifactsDir, 'kmsg', `${input.caseId}.log`);
    await mkdir(dirname(file), { recursive: true });
    const source = record.end && record.kmsg !== undefined ? '/dev/kmsg records of the case' : 'the console between the case marks (the guest died during it)';
    const body = reports.length ? [...lines.map(formatLogLine), '', `# ${reports.length} report(s):`, ...reports.flatMap((r) => ['', `## ${r.kind}: ${r.title}`, ...r.lines])] : lines.map(formatLogLine);
    await writeFile(file, [`# ${input.caseId}: ${source}`, ...body, ''].join('\n'));
    log = relative(process.cwd(), file) || file;
  }
  const base = input.verdict;
  const lost = (record.kmsgLost ?? []).map((w) => (w === 'overrun' ? 'kernel log records of the case were overwritten before the supervisor read them' : `kernel log: ${w.replace('dropped ', '')} record(s) past the per-case limit were not sent`));
  const verdict = lost.length ? { ...base, notes: [...base.notes, ...lost] } : base;
  const timedOut = record.end?.kind === 'timeout' || record.end?.kind === 'hung';
  return applyHealth(verdict, {
    reports,
    taintBefore: record.taintBefore,
    taintAfter: record.taintAfter,
    timedOut,
    known: input.known,
    release: input.release,
    log,
    ...(input.watchdog ? { watchdog: input.watchdog } : {}),
  });
}
