// KTAP v1 report (Documentation/dev-tools/ktap.rst): one test per case, its top-level
// steps as subtests; skips carry `# SKIP <reason>`; failures, notes and the verdict
// (crashed, broken, …) are diagnostic lines before the result. kunit.py parse reads it.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CaseReport, Reporter, RunReport } from './types.js';

/** A KTAP test name or directive text: one line, no `#` (it would start a directive). */
export function ktapText(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/#/g, '%23').trim();
}

const diag = (indent: string, lines: readonly string[]): string[] => lines.flatMap((l) => l.split('\n')).map((l) => `${indent}# ${l}`.trimEnd());

function caseLines(c: CaseReport, n: number): string[] {
  const out: string[] = [];
  const name = ktapText(c.id);
  // Failures outside any step (harness, crash, kernel reports) and the verdict itself.
  const stepless = c.failures.filter((f) => !c.steps || f.path === null || !/^steps\[\d+\]/.test(f.path));
  if (c.steps && c.verdict !== 'skip') {
    // A case that did not pass with no failing step (a crash, a kernel report) gets a
    // failing subtest of its own, so that tools counting leaf tests see it too.
    const extra = c.verdict !== 'pass' && !c.steps.some((s) => s.status === 'fail' || s.status === 'notrun');
    out.push('    KTAP version 1', `    # Subtest: ${name}`, `    1..${c.steps.length + (extra ? 1 : 0)}`);
    c.steps.forEach((s, i) => {
      if (s.status === 'fail') out.push(...diag('    ', s.messages ?? []));
      // A step that never ran failed, as kunit counts the tests of a crashed suite; the reason is a diagnostic.
      if (s.status === 'notrun') out.push(...diag('    ', [`not run: ${s.reason ?? ''}`]));
      const skip = s.status === 'skip' ? ` # SKIP ${ktapText(s.reason ?? '')}` : '';
      out.push(`    ${s.status === 'fail' || s.status === 'notrun' ? 'not ok' : 'ok'} ${i + 1} ${ktapText(s.name)}${skip}`);
    });
    if (extra) out.push(...diag('    ', stepless.map((f) => f.message)), `    not ok ${c.steps.length + 1} ${c.verdict}`);
  }
  out.push(...diag('', [...stepless.map((f) => f.message), ...(c.notes ?? []).map((n) => `note: ${n}`)]));
  if (c.verdict !== 'pass' && c.verdict !== 'skip') out.push(`# ${name}: verdict ${c.verdict} (${c.file})`);
  if (c.verdict === 'skip') out.push(`ok ${n} ${name} # SKIP ${ktapText(c.skipReason ?? '')}`);
  else out.push(`${c.verdict === 'pass' ? 'ok' : 'not ok'} ${n} ${name}`);
  return out;
}

/** The whole run as KTAP text. */
export function renderKtap(report: RunReport): string {
  const k = report.kernel;
  const lines = ['KTAP version 1', `# vmaspec on ${k.source ?? 'unknown kernel'} ${k.release ?? ''} (${k.arch})`.trimEnd(), `1..${report.cases.length}`];
  report.cases.forEach((c, i) => lines.push(...caseLines(c, i + 1)));
  const s = report.summary;
  lines.push(`# vmaspec: ${s.total} cases: ${Object.entries(s).filter(([key, v]) => key !== 'total' && v > 0).map(([key, v]) => `${v} ${key}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** Writes the KTAP report when the run is done. */
export function ktapReporter(file: string): Reporter {
  return {
    onRunDone: async (report) => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, renderKtap(report));
    },
  };
}
