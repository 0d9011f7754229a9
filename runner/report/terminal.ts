// Terminal reporter: one line per case, failure details indented, a summary line.
import { formatLayoutDiff } from '../verdict/diff.js';
import type { Failure, VerdictKind } from '../verdict/types.js';
import { VERDICT_KINDS } from '../verdict/types.js';
import { painter, type Style } from './ansi.js';
import { failureGroups } from './groups.js';
import type { CaseReport, Reporter, RunReport } from './types.js';

export interface TerminalOptions {
  color?: boolean;
  /** Also print the raw maps lines under layout diffs. */
  raw?: boolean;
}

const LABEL: Record<VerdictKind, [string, Style]> = {
  pass: ['PASS', 'green'],
  fail: ['FAIL', 'red'],
  splat: ['SPLAT', 'red'],
  crashed: ['CRASHED', 'red'],
  broken: ['BROKEN', 'yellow'],
  skip: ['SKIP', 'dim'],
};

export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Failure lines; the failures of one layout check are followed by one diff table. */
export function formatFailures(failures: readonly Failure[], opts: TerminalOptions = {}, indent = '    '): string[] {
  return failureGroups(failures).flatMap((g) => [
    ...g.failures.flatMap((f) => [indent + f.message, ...(f.details ?? []).map((d) => `${indent}    ${d}`)]),
    ...(g.layout ? [formatLayoutDiff(g.layout, { color: opts.color ?? false, raw: opts.raw ?? false, indent })] : []),
  ]);
}

/** The case line and its details. */
export function formatCase(c: CaseReport, opts: TerminalOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const [label, style] = LABEL[c.verdict];
  const skip = c.skipReason ? paint('dim', `  (${c.skipReason})`) : '';
  const lines = [`${paint(style, label.padEnd(7))} ${c.id}  ${paint('dim', formatMs(c.durationMs))}${skip}`];
  if (c.verdict !== 'pass' && c.verdict !== 'skip') lines.push(`    ${paint('dim', c.file)}`);
  lines.push(...formatFailures(c.failures, opts));
  for (const n of c.notes ?? []) lines.push(`    ${paint('yellow', `note: ${n}`)}`);
  return lines.join('\n');
}

/** `5 cases: 3 pass, 1 fail, 1 skip in 1234 ms`. */
export function formatSummary(report: RunReport, opts: TerminalOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const s = report.summary;
  const parts = VERDICT_KINDS.filter((k) => s[k] > 0).map((k) => paint(s[k] && k !== 'pass' && k !== 'skip' ? LABEL[k][1] : 'dim', `${s[k]} ${k}`));
  return `${s.total} case${s.total === 1 ? '' : 's'}: ${parts.join(', ') || 'none'} in ${formatMs(report.durationMs)}`;
}

export function terminalReporter(opts: TerminalOptions & { write?: (text: string) => void } = {}): Reporter {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  return {
    onCaseDone: (c) => write(formatCase(c, opts) + '\n'),
    onRunDone: (r) => write(formatSummary(r, opts) + '\n'),
  };
}
