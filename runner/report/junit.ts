// JUnit XML report (the Ant/Jenkins schema CI systems read): one testsuite per run,
// one testcase per case (classname = its folder), its steps in system-out. A `fail`
// or `splat` is a <failure>, `crashed` and `broken` an <error>, `skip` a <skipped>.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VerdictKind } from '../verdict/types.js';
import { markupText } from './markup.js';
import type { CaseReport, Reporter, RunReport } from './types.js';

/** How each verdict shows in JUnit. */
export const JUNIT_ELEMENT: Record<VerdictKind, 'failure' | 'error' | 'skipped' | null> = {
  pass: null,
  fail: 'failure',
  splat: 'failure',
  crashed: 'error',
  broken: 'error',
  skip: 'skipped',
};

const seconds = (ms: number | null): string => ((ms ?? 0) / 1000).toFixed(3);

function testcase(c: CaseReport): string[] {
  const slash = c.id.lastIndexOf('/');
  const classname = slash < 0 ? 'vmaspec' : `vmaspec.${c.id.slice(0, slash).replace(/\//g, '.')}`;
  const name = slash < 0 ? c.id : c.id.slice(slash + 1);
  const open = `    <testcase classname="${markupText(classname)}" name="${markupText(name)}" file="${markupText(c.file)}" time="${seconds(c.durationMs)}">`;
  const out = [open];
  const element = JUNIT_ELEMENT[c.verdict];
  const body = [...c.failures.map((f) => f.message), ...c.failures.flatMap((f) => f.details ?? [])].join('\n');
  if (element === 'skipped') out.push(`      <skipped message="${markupText(c.skipReason ?? '')}"/>`);
  else if (element) out.push(`      <${element} type="${c.verdict}" message="${markupText(c.failures[0]?.message ?? c.verdict)}">${markupText(body)}</${element}>`);
  const steps = (c.steps ?? []).map((s) => `${s.status === 'fail' || s.status === 'notrun' ? 'not ok' : 'ok'} ${s.name}${s.status === 'skip' ? ` # SKIP ${s.reason ?? ''}` : s.status === 'notrun' ? ` (not run: ${s.reason ?? ''})` : ''}`);
  const out2 = [...steps, ...(c.notes ?? []).map((n) => `note: ${n}`)];
  if (out2.length > 0) out.push(`      <system-out>${markupText(out2.join('\n'))}</system-out>`);
  out.push('    </testcase>');
  return out;
}

/** The whole run as JUnit XML. */
export function renderJunit(report: RunReport): string {
  const s = report.summary;
  const failures = report.cases.filter((c) => JUNIT_ELEMENT[c.verdict] === 'failure').length;
  const errors = report.cases.filter((c) => JUNIT_ELEMENT[c.verdict] === 'error').length;
  const k = report.kernel;
  const suite = `vmaspec on ${k.source ?? 'unknown kernel'} ${k.release ?? ''}`.trim();
  const counts = `tests="${s.total}" failures="${failures}" errors="${errors}" skipped="${s.skip}" time="${seconds(report.durationMs)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vmaspec" ${counts}>`,
    `  <testsuite name="${markupText(suite)}" ${counts} timestamp="${markupText(report.started)}">`,
    `    <properties><property name="kernel.release" value="${markupText(k.release ?? '')}"/><property name="kernel.arch" value="${markupText(k.arch)}"/><property name="kernel.source" value="${markupText(k.source ?? '')}"/></properties>`,
    ...report.cases.flatMap(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Writes the JUnit XML report when the run is done. */
export function junitReporter(file: string): Reporter {
  return {
    onRunDone: async (report) => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, renderJunit(report));
    },
  };
}
