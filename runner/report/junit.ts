// JUnit XML report (the Ant/Jenkins schema CI systems read): one testsuite per run,
// one testcase per case (classname = its folder), its steps in system-out. A `fail`
// or `splat` is a <failure>, `crashed` and `broken` an <error>, `skip` a <skipped>.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VerdictKind } from '../verdict/types.js';
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

/** Text for XML attributes and content: the five entities, and no characters XML 1.0 forbids. */
export function xmlText(s: string): string {
  return s
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, (ch) => `\\x${ch.codePointAt(0)!.toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number | null): string => ((ms ?? 0) / 1000).toFixed(3);

function testcase(c: CaseReport): string[] {
  const slash = c.id.lastIndexOf('/');
  const classname = slash < 0 ? 'vmaspec' : `vmaspec.${c.id.slice(0, slash).replace(/\//g, '.')}`;
  const name = slash < 0 ? c.id : c.id.slice(slash + 1);
  const open = `    <testcase classname="${xmlText(classname)}" name="${xmlText(name)}" file="${xmlText(c.file)}" time="${seconds(c.durationMs)}">`;
  const out = [open];
  const element = JUNIT_ELEMENT[c.verdict];
  const body = [...c.failures.map((f) => f.message), ...c.failures.flatMap((f) => f.details ?? [])].join('\n');
  if (element === 'skipped') out.push(`      <skipped message="${xmlText(c.skipReason ?? '')}"/>`);
  else if (element) out.push(`      <${element} type="${c.verdict}" message="${xmlText(c.failures[0]?.message ?? c.verdict)}">${xmlText(body)}</${element}>`);
  const steps = (c.steps ?? []).map((s) => `${s.status === 'fail' || s.status === 'notrun' ? 'not ok' : 'ok'} ${s.name}${s.status === 'skip' ? ` # SKIP ${s.reason ?? ''}` : s.status === 'notrun' ? ` (not run: ${s.reason ?? ''})` : ''}`);
  const out2 = [...steps, ...(c.notes ?? []).map((n) => `note: ${n}`)];
  if (out2.length > 0) out.push(`      <system-out>${xmlText(out2.join('\n'))}</system-out>`);
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
    `  <testsuite name="${xmlText(suite)}" ${counts} timestamp="${xmlText(report.started)}">`,
    `    <properties><property name="kernel.release" value="${xmlText(k.release ?? '')}"/><property name="kernel.arch" value="${xmlText(k.arch)}"/><property name="kernel.source" value="${xmlText(k.source ?? '')}"/></properties>`,
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
