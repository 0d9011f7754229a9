// The splat scanner: kernel log lines in, kernel reports out ({title, kind, full text}).
import { formatLogLine, type LogLine } from './log.js';
import { END_LINE, NOT_REPORTS, REPORT_PATTERNS, TITLE_REWRITES, TRACE_LINE, type ReportKind, type ReportPattern } from './patterns.js';

export interface KernelReport {
  /** The report's first line from where its pattern matched, cleaned of what varies per run (pids, offsets). */
  title: string;
  kind: ReportKind;
  /** Every line of the report, with timestamps, as the console shows them. */
  lines: string[];
}

/** Longest report kept; the rest of the log is in the artifacts. */
const MAX_LINES = 400;

/** The pattern matching a line, and where it matched; null for none. */
export function matchLine(text: string): { pattern: ReportPattern; at: number } | null {
  if (NOT_REPORTS.some((re) => re.test(text))) return null;
  for (const pattern of REPORT_PATTERNS) {
    const m = pattern.match.exec(text);
    if (m) return { pattern, at: m.index };
  }
  return null;
}

/** A report title from its first line. */
export function reportTitle(text: string, at = 0): string {
  return TITLE_REWRITES.reduce((t, [re, by]) => t.replace(re, by), text.slice(at));
}

interface Open {
  report: KernelReport;
  traced: boolean;
}

export function scanReports(lines: readonly LogLine[]): KernelReport[] {
  const out: KernelReport[] = [];
  let open: Open | null = null;
  let last: KernelReport | null = null;
  const close = (): void => {
    open = null;
  };
  for (const line of lines) {
    const text = line.text;
    if (NOT_REPORTS.some((re) => re.test(text))) {
      close();
      continue;
    }
    const hit = matchLine(text);
    if (hit) {
      const o: Open | null = open;
      const joinOpen = hit.pattern.follows === true && o !== null && (!o.traced || hit.pattern.kind === 'panic');
      const joinLast = hit.pattern.kind === 'panic' && o === null && last !== null;
      if (joinOpen && o) {
        o.report.lines.push(formatLogLine(line));
        continue;
      }
      if (joinLast && last) {
        last.lines.push(formatLogLine(line));
        continue;
      }
      const report: KernelReport = { title: reportTitle(text, hit.at), kind: hit.pattern.kind, lines: [formatLogLine(line)] };
      out.push(report);
      last = report;
      open = { report, traced: false };
      continue;
    }
    const cur: Open | null = open;
    if (!cur) continue;
    cur.report.lines.push(formatLogLine(line));
    if (TRACE_LINE.test(text)) cur.traced = true;
    if (END_LINE.test(text) || cur.report.lines.length >= MAX_LINES) close();
  }
  return out;
}
