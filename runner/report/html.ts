// HTML report: one self-contained page (inline CSS and SVG, no script, nothing loaded from
// anywhere: its Content-Security-Policy forbids it) for a run, a gate or a matrix. Every
// run is a section; every case shows its verdict, its steps and its failures, each layout
// or VMA-count check drawn as the expected and the actual address space side by side
// (./svg-layout.ts), the kernel's reports collapsible. A gate or a matrix adds a table on top
// linking to the cases of each run. Every text is escaped (./markup.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HEADINGS } from '../gate/compare.js';
import type { GateReport } from '../gate/run.js';
import type { MatrixReport } from '../matrix/matrix.js';
import { formatLayoutDiff } from '../verdict/diff.js';
import type { Failure, VerdictKind } from '../verdict/types.js';
import { VERDICT_KINDS } from '../verdict/types.js';
import { failureGroups, type FailureGroup } from './groups.js';
import { markupText as esc } from './markup.js';
import { topStep } from './steps.js';
import { LAYOUT_CSS, layoutSvg } from './svg-layout.js';
import { formatMs, formatSummary } from './terminal.js';
import type { CaseReport, Reporter, RunReport, StepResult } from './types.js';

/** One run on the page, with the label of its section (`change`, `debian:6.1` …). */
export interface HtmlRun {
  label: string | null;
  report: RunReport;
}

/** A cell of the table on top: its text, the verdict it shows (coloured), the case it links to. */
export interface OverviewCell {
  text: string;
  verdict?: VerdictKind | 'absent';
  /** The run (index in `runs`) and case id the cell links to. */
  link?: { run: number; id: string };
  /** Shown on hover. */
  tip?: string;
}

/** The gate's or the matrix's table, above the runs. */
export interface Overview {
  caption: string;
  head: string[];
  rows: OverviewCell[][];
}

export interface HtmlPage {
  title: string;
  /** Lines under the title (the kernels, the series …). */
  facts: string[];
  overview?: Overview;
  runs: HtmlRun[];
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 "DejaVu Sans", sans-serif; color: #202124; margin: 0 auto; padding: 16px 24px; max-width: 1200px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 4px; border-bottom: 1px solid #dadce0; padding-bottom: 4px; }
code, pre, .id { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: #f8f9fa; border: 1px solid #e8eaed; padding: 8px; overflow-x: auto; white-space: pre; margin: 4px 0; }
.facts { color: #5f6368; margin: 2px 0; }
.verdict { display: inline-block; min-width: 64px; text-align: center; font-weight: bold; font-size: 12px; border-radius: 3px; padding: 1px 6px; color: #fff; }
.v-pass { background: #188038; } .v-fail { background: #d93025; } .v-splat { background: #a142f4; }
.v-crashed { background: #5c0011; } .v-broken { background: #e37400; } .v-skip, .v-absent { background: #9aa0a6; }
details.case { border: 1px solid #dadce0; border-radius: 4px; margin: 6px 0; }
details.case > summary { padding: 6px 8px; cursor: pointer; }
details.case[open] > summary { border-bottom: 1px solid #e8eaed; }
details.case .body { padding: 6px 12px 10px; }
.title { color: #3c4043; } .ms, .file, .reason { color: #5f6368; }
.not-passing a { margin-right: 10px; }
ol.steps { padding-left: 0; list-style: none; margin: 6px 0; }
ol.steps > li { margin: 3px 0; }
.st { display: inline-block; min-width: 56px; font-size: 12px; font-weight: bold; }
.st-pass { color: #188038; } .st-fail, .st-notrun { color: #d93025; } .st-skip { color: #80868b; }
.failure { margin: 4px 0 4px 56px; }
.failure .msg { margin: 2px 0; color: #b3261e; font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; white-space: pre-wrap; }
figure.layout { margin: 6px 0 10px 56px; }
figure.layout figcaption { color: #5f6368; font-size: 12px; }
.kernel { border-left: 4px solid #a142f4; padding: 2px 10px; margin: 6px 0; }
.kernel .failure { margin-left: 0; }
details.k-kernel > summary { cursor: pointer; color: #b3261e; font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.note { color: #8d6e00; }
table.overview { border-collapse: collapse; margin: 8px 0; }
table.overview th, table.overview td { border: 1px solid #dadce0; padding: 3px 8px; text-align: left; vertical-align: top; }
table.overview a { color: inherit; text-decoration: none; }
${LAYOUT_CSS}`;

/** The page's policy: inline styles only; no script, image, font, frame or connection from anywhere. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const verdictBadge = (v: VerdictKind | 'absent'): string => `<span class="verdict v-${v}">${v.toUpperCase()}</span>`;

/** The anchor of a case of a run. */
const caseAnchor = (run: number, index: number): string => `r${run}-c${index}`;

const preBlock = (lines: readonly string[]): string => (lines.length ? `<pre>${esc(lines.join('\n'))}</pre>` : '');

/** One failure: its message, its detail lines (a kernel report's lines collapsible, under its title). */
function failureHtml(f: Failure): string {
  if (f.kind === 'kernel') return `<details class="failure k-kernel"><summary>${esc(f.message)}</summary>${preBlock(f.details ?? [])}</details>`;
  return `<div class="failure k-${esc(f.kind)}"><p class="msg">${esc(f.message)}</p>${preBlock(f.details ?? [])}</div>`;
}

/** How to read a drawing. */
const LEGEND = 'a box per VMA over its pages, labelled <code>#: page +pages perms name</code> (<code>*</code>: not compared); red: the pair differs, the differing fields underlined; dashed: missing or unexpected';

/** A group of failures and, for a layout check, its drawing and its text table. */
function groupHtml(g: FailureGroup): string {
  const failures = g.failures.map(failureHtml).join('');
  if (!g.layout) return failures;
  const count = g.failures.find((f) => f.field === 'count' && typeof f.expected === 'number')?.expected;
  const ctx = g.layout;
  return (
    `${failures}<figure class="layout" data-path="${esc(ctx.path)}" data-proc="${esc(ctx.proc)}">` +
    `<figcaption>${esc(`${ctx.path} (${ctx.proc})`)}: ${LEGEND}</figcaption>${layoutSvg(ctx, typeof count === 'number' ? count : undefined)}` +
    `<details><summary>as text, with the maps lines</summary>${preBlock([formatLayoutDiff(ctx, { raw: true })])}</details></figure>`
  );
}

/** The case's kernel reports: the deciding title, the log, each report that counted (its lines collapsible), the accepted ones with why. */
function kernelHtml(c: CaseReport): string {
  const k = c.kernel;
  if (!k) return '';
  const counted = c.failures.filter((f) => f.kind === 'kernel').map(failureHtml);
  const accepted = k.reports.filter((r) => r.known !== null).map((r) => `<li>${esc(`${r.kind}: ${r.title}`)} <span class="reason">${esc(`(accepted by ${r.known})`)}</span></li>`);
  return (
    `<div class="kernel"><p>kernel${k.title ? `: <b>${esc(k.title)}</b>` : ''}; ${k.reports.length} report${k.reports.length === 1 ? '' : 's'}` +
    `${k.log ? `; log <code>${esc(k.log)}</code>` : ''}</p>${counted.join('')}${accepted.length ? `<ul>${accepted.join('')}</ul>` : ''}</div>`
  );
}

/** One step of the case with its failures (their drawings included). */
function stepHtml(s: StepResult, index: number, failures: readonly Failure[]): string {
  const own = failures.filter((f) => f.path !== null && topStep(f.path) === `steps[${index}]`);
  const why = s.reason ? ` <span class="reason">${esc(`(${s.reason})`)}</span>` : '';
  // A step fails by its failures; their messages are those of the report's step.
  const body = own.length ? failureGroups(own).map(groupHtml).join('') : (s.messages ?? []).map((m) => `<div class="failure"><p class="msg">${esc(m)}</p></div>`).join('');
  return `<li class="step" data-status="${s.status}"><span class="st st-${s.status}">${s.status === 'notrun' ? 'not run' : s.status}</span> <code>${esc(s.name)}</code>${why}${body}</li>`;
}

/** One case: a collapsible block, open unless it passed or was skipped. */
function caseHtml(c: CaseReport, run: number, index: number): string {
  const open = c.verdict !== 'pass' && c.verdict !== 'skip';
  const steps = c.steps ?? [];
  const inStep = (f: Failure): boolean => f.path !== null && steps.some((_, i) => topStep(f.path!) === `steps[${i}]`);
  // Failures outside the steps (the guest's, the harness's); the kernel's go with its reports.
  const stepless = c.failures.filter((f) => !inStep(f) && !(c.kernel && f.kind === 'kernel'));
  const parts = [
    `<p class="file"><code>${esc(c.file)}</code></p>`,
    c.skipReason ? `<p class="reason">${esc(`skipped: ${c.skipReason}`)}</p>` : '',
    kernelHtml(c),
    failureGroups(stepless).map(groupHtml).join(''),
    steps.length ? `<ol class="steps">${steps.map((s, i) => stepHtml(s, i, c.failures)).join('')}</ol>` : '',
    ...(c.notes ?? []).map((n) => `<p class="note">${esc(`note: ${n}`)}</p>`),
  ];
  return (
    `<details class="case" id="${caseAnchor(run, index)}" data-verdict="${c.verdict}" data-id="${esc(c.id)}"${open ? ' open' : ''}>` +
    `<summary>${verdictBadge(c.verdict)} <span class="id">${esc(c.id)}</span> <span class="title">${esc(c.title)}</span> <span class="ms">${esc(formatMs(c.durationMs))}</span></summary>` +
    `<div class="body">${parts.join('')}</div></details>`
  );
}

/** A run's section: its kernel, its summary, links to the cases that did not pass, its cases. */
function runHtml(r: HtmlRun, run: number): string {
  const rep = r.report;
  const k = rep.kernel;
  const kernel = `${k.source ?? 'unknown kernel'} ${k.release ?? ''} (${k.arch})`;
  const facts = [`started ${rep.started}`, rep.accel ? `guests under ${rep.accel.toUpperCase()}` : '', rep.boots ? `${rep.boots.length} boot${rep.boots.length === 1 ? '' : 's'}` : '', k.id ? `kernel ${k.id}` : ''].filter(Boolean);
  const bad = rep.cases.map((c, i) => ({ c, i })).filter(({ c }) => c.verdict !== 'pass' && c.verdict !== 'skip');
  const links = bad.map(({ c, i }) => `<a href="#${caseAnchor(run, i)}">${verdictBadge(c.verdict)} ${esc(c.id)}</a>`);
  const counts = VERDICT_KINDS.filter((v) => rep.summary[v] > 0).map((v) => `${verdictBadge(v)} ${rep.summary[v]}`);
  return (
    `<section class="run" id="r${run}"><h2>${esc(r.label ? `${r.label}: ${kernel}` : kernel)}</h2>` +
    `<p class="facts">${esc(facts.join(' · '))}</p><p class="summary">${counts.join(' ')} <span class="facts">${esc(formatSummary(rep))}</span></p>` +
    `${links.length ? `<p class="not-passing">${links.join('')}</p>` : ''}${rep.cases.map((c, i) => caseHtml(c, run, i)).join('')}</section>`
  );
}

function overviewHtml(o: Overview, runs: readonly HtmlRun[]): string {
  const index = runs.map((r) => new Map(r.report.cases.map((c, i) => [c.id, i])));
  const cell = (c: OverviewCell): string => {
    const at = c.link ? index[c.link.run]?.get(c.link.id) : undefined;
    const content = c.verdict ? `${verdictBadge(c.verdict)}${c.text && c.text !== c.verdict ? ` ${esc(c.text)}` : ''}` : esc(c.text);
    const linked = c.link && at !== undefined ? `<a href="#${caseAnchor(c.link.run, at)}">${content}</a>` : content;
    return `<td${c.tip ? ` title="${esc(c.tip)}"` : ''}>${linked}</td>`;
  };
  return `<table class="overview"><caption>${esc(o.caption)}</caption><thead><tr>${o.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${o.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

/** The page as HTML text. */
export function renderHtml(page: HtmlPage): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(page.title)}</title><style>${CSS}</style></head><body>`,
    `<header><h1>${esc(page.title)}</h1>${page.facts.map((f) => `<p class="facts">${esc(f)}</p>`).join('')}</header>`,
    page.overview ? overviewHtml(page.overview, page.runs) : '',
    ...page.runs.map(runHtml),
    '</body></html>',
    '',
  ].join('\n');
}

const kernelName = (r: RunReport): string => `${r.kernel.source ?? 'unknown kernel'} ${r.kernel.release ?? ''}`.trim();

/** The page of one run. */
export function runPage(report: RunReport): HtmlPage {
  return { title: `vmaspec: ${kernelName(report)}`, facts: [formatSummary(report)], runs: [{ label: null, report }] };
}

/** The page of a gate: its regression table on top, then the change's run and the base's. */
export function gatePage(gate: GateReport): HtmlPage {
  const runs: HtmlRun[] = [
    { label: 'change', report: gate.change },
    { label: 'base', report: gate.base },
  ];
  const rows = HEADINGS.flatMap(([kind, heading]) =>
    gate.comparison.cases
      .filter((m) => m.movement === kind)
      .map((m): OverviewCell[] => [
        { text: m.id },
        { text: '', verdict: m.base, link: { run: 1, id: m.id } },
        { text: '', verdict: m.change, link: { run: 0, id: m.id } },
        { text: heading },
        { text: m.why ?? '' },
      ]),
  );
  const unchanged = gate.comparison.cases.filter((m) => m.movement === 'unchanged').length;
  const verdict = gate.comparison.regressions === 0 ? 'PASS' : 'FAIL';
  return {
    title: `vmaspec gate: ${verdict}`,
    facts: [`base: ${kernelName(gate.base)}`, `change: ${kernelName(gate.change)}`, ...gate.series.map((s, i) => `patch ${i + 1}: ${s}`)],
    overview: { caption: `${gate.comparison.regressions} regression(s), ${unchanged} of ${gate.comparison.cases.length} case(s) unchanged`, head: ['case', 'base', 'change', 'movement', 'why'], rows },
    runs,
  };
}

/** The page of a matrix: the table (a column per kernel, each cell linking to its case), then a section per kernel. */
export function matrixPage(m: MatrixReport): HtmlPage {
  const runs = m.runs.map((report, i): HtmlRun => ({ label: m.kernels[i]?.label ?? `kernel ${i + 1}`, report }));
  const rows = m.rows.map((r): OverviewCell[] => [
    { text: r.id },
    ...r.cells.map((c, k): OverviewCell => ({ text: '', verdict: c.verdict, link: { run: k, id: r.id }, ...(c.reason ? { tip: c.reason } : {}) })),
  ]);
  return {
    title: `vmaspec matrix: ${m.kernels.map((k) => k.label).join(', ')}`,
    facts: m.kernels.map((k, i) => `${k.label}: ${m.runs[i] ? formatSummary(m.runs[i]) : 'not run'}`),
    overview: { caption: `${m.rows.length} case(s) on ${m.kernels.length} kernels`, head: ['case', ...m.kernels.map((k) => `${k.label} (${k.release ?? '?'})`)], rows },
    runs,
  };
}

/** Writes the page to each file. */
export async function writeHtml(files: readonly string[], page: HtmlPage): Promise<void> {
  const text = renderHtml(page);
  for (const file of files) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

/** Writes the run's page to each file when the run is done. */
export function htmlReporter(files: readonly string[]): Reporter {
  return { onRunDone: (report) => writeHtml(files, runPage(report)) };
}
