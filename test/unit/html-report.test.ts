// The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by
// the set-up) driven by playwright-core, launched once. The pages are made from real run
// reports (test/fixtures/reports/): the suite on the merge-compares-pointers kernel mutant
// (12 layout failures), the unpatched kernel of the same mutants run, and two cases of the
// reuse-drops-reference mutant (a splat and a crash). The test checks that a failing case's
// two layouts are drawn, the differing VMAs marked, kernel reports collapsed, gate and
// matrix tables linked to their cases, names shown as text, and that no page loads anything
// but itself. It writes docs/report-layout.png, the README's screenshot.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../../runner/gate/compare.js';
import { GATE_SCHEMA, type GateReport } from '../../runner/gate/run.js';
import { buildMatrix } from '../../runner/matrix/matrix.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { gatePage, matrixPage, renderHtml, runPage, type HtmlPage } from '../../runner/report/html.js';
import type { RunReport } from '../../runner/report/types.js';
import type { Failure, LayoutContext } from '../../runner/verdict/types.js';
import { visible } from '../../runner/util/text.js';

/** The browser the set-up installs (runner/setup/bootstrap.mjs PROGRAMS); missing, the test fails, it does not skip. */
const BROWSER_TOOL = 'chromium';
const SCREENSHOT = join(repoRoot, 'docs/report-layout.png');
/** The case drawn in the README: two halves named "a" by separate calls stay apart on this mutant. */
const SHOWN_CASE = 'merge/s5-names-compared-as-strings';

const fixture = async (name: string): Promise<RunReport> => JSON.parse(await readFile(join(repoRoot, 'test/fixtures/reports', name), 'utf8')) as RunReport;
const mutant = await fixture('mutant-merge-compares-pointers.json');
const baseline = await fixture('mutant-baseline.json');
const splats = await fixture('mutant-reuse-drops-reference-excerpt.json');

const gate: GateReport = { schema: GATE_SCHEMA, base: baseline, change: mutant, series: ['mutants/merge-compares-pointers.patch'], comparison: compareRuns(baseline, mutant) };
const matrix = buildMatrix(['debian:6.12', 'debian:6.12 + merge-compares-pointers'], [baseline, mutant]);

let browser: Browser;
let context: BrowserContext;
let dir: string;

beforeAll(async () => {
  const executablePath = execFileSync('sh', ['-c', 'command -v "$1"', 'sh', BROWSER_TOOL], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({ executablePath });
  context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  dir = await mkdtemp(join(tmpdir(), 'vmaspec-html-'));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What a page asked for while loading, and what the browser complained about (CSP refusals among them). */
interface Loaded {
  page: Page;
  url: string;
  requests: string[];
  errors: string[];
}

/** Writes the HTML to a file and opens it, recording every request (none but the file's is let through). */
async function open(name: string, html: string): Promise<Loaded> {
  const file = join(dir, name);
  await writeFile(file, html);
  const url = pathToFileURL(file).href;
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => void errors.push(e.message));
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url() === url ? route.continue() : route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, url, requests, errors };
}

const openPage = (name: string, page: HtmlPage): Promise<Loaded> => open(name, renderHtml(page));

/** The failures of the case's first layout check, and that check. */
function firstLayout(report: RunReport, id: string): { ctx: LayoutContext; failures: Failure[] } {
  const c = report.cases.find((x) => x.id === id);
  const ctx = c?.failures.find((f) => f.layout)?.layout;
  if (!c || !ctx) throw new Error(`${id}: no layout failure in the fixture`);
  return { ctx, failures: c.failures.filter((f) => f.layout?.path === ctx.path && f.proc === ctx.proc) };
}

/** A drawn VMA as the browser has it: its data, its geometry in the drawing's units, how it shows. */
interface DrawnVma {
  side: string;
  index: number;
  at: number;
  classes: string[];
  differs: string[];
  box: { x: number; y: number; width: number; height: number };
  visible: boolean;
  stroke: string;
  text: string;
  badFields: number;
}

/** The VMAs drawn for one layout check of a case (one round trip to the browser). */
async function drawn(page: Page, id: string, ctx: LayoutContext): Promise<DrawnVma[]> {
  const fig = page.locator(`details.case[data-id="${id}"] figure.layout[data-path="${ctx.path}"][data-proc="${ctx.proc}"]`);
  expect(await fig.count(), id).toBe(1);
  return fig.locator('g.vma').evaluateAll((gs) =>
    gs.map((g) => {
      const rect = g.querySelector('rect')!;
      const b = rect.getBBox();
      return {
        side: g.getAttribute('data-side')!,
        index: Number(g.getAttribute('data-index')),
        at: Number(g.getAttribute('data-at')),
        classes: [...g.classList],
        differs: (g.getAttribute('data-differs') ?? '').split(' ').filter(Boolean),
        box: { x: b.x, y: b.y, width: b.width, height: b.height },
        visible: rect.checkVisibility() && rect.getBoundingClientRect().width > 0,
        stroke: g.ownerDocument.defaultView!.getComputedStyle(rect).stroke,
        text: g.querySelector('text')?.textContent ?? '',
        badFields: g.querySelectorAll('tspan.bad').length,
      };
    }),
  );
}

describe('HTML report in headless Chromium', () => {
  let run: Loaded;
  beforeAll(async () => {
    run = await openPage('run.html', runPage(mutant));
  }, 30_000);
  afterAll(() => run?.page.close());

  it("draws a failing case's expected and actual address spaces side by side, a box per VMA over its pages", async () => {
    const { ctx } = firstLayout(mutant, SHOWN_CASE);
    const vmas = await drawn(run.page, SHOWN_CASE, ctx);
    const exp = vmas.filter((v) => v.side === 'expected');
    const act = vmas.filter((v) => v.side === 'actual');
    expect(exp.map((v) => v.index).sort()).toEqual(ctx.expected!.map((_, i) => i));
    expect(act.map((v) => v.index).sort()).toEqual(ctx.actual.map((_, i) => i));
    for (const v of vmas) {
      expect(v.visible).toBe(true);
      expect(v.box.width).toBeGreaterThan(100);
    }
    // Side by side: every expected box left of every actual box; a box starts at its first page's row, and its height is its pages'.
    expect(Math.max(...exp.map((v) => v.box.x + v.box.width))).toBeLessThan(Math.min(...act.map((v) => v.box.x)));
    const pageHeight = (act[0]!.box.height + 4) / ctx.actual[act[0]!.index]!.pages;
    const row0 = act[0]!.box.y - (ctx.actual[act[0]!.index]!.at * pageHeight);
    for (const v of vmas) {
      const vma = v.side === 'expected' ? ctx.expected![v.index]! : ctx.actual[v.index]!;
      expect(v.box.y - 2).toBeCloseTo(row0 - 2 + vma.at * pageHeight, 5);
      expect(v.box.height + 4).toBeCloseTo(vma.pages * pageHeight, 5);
    }
    // Each observed box's label is its VMA as the text diff writes it: index, first page, +pages, perms, name.
    for (const v of act) {
      const o = ctx.actual[v.index]!;
      expect(v.text).toBe(`${v.index}: ${o.at} +${o.pages} ${o.perms} ${o.name === '' ? '""' : visible(o.name)}`);
    }
    expect(run.requests).toEqual([run.url]);
    expect(run.errors).toEqual([]);
    await run.page.locator(`details.case[data-id="${SHOWN_CASE}"]`).screenshot({ path: SCREENSHOT });
  });

  it('marks the VMAs that differ, their differing fields, and no other VMA', async () => {
    // Every failing case of the fixture with a layout check (all 12 of this mutant's).
    const ids = mutant.cases.filter((c) => c.failures.some((f) => f.layout)).map((c) => c.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const { ctx, failures } = firstLayout(mutant, id);
      const vmas = await drawn(run.page, id, ctx);
      // The judge's failures name the VMA (side, index) and the field; each such box is marked with that field.
      const named = failures.filter((f) => f.vma);
      expect(named.length, id).toBeGreaterThan(0);
      const plain = vmas.filter((v) => !v.classes.includes('differs'));
      for (const f of named) {
        const v = vmas.find((x) => x.side === f.vma!.side && x.index === f.vma!.index);
        expect(v?.classes, id).toContain('differs');
        expect(v?.differs, id).toContain(f.field);
        if (f.field === 'pages' || f.field === 'name' || f.field === 'perms') expect(v?.badFields, id).toBeGreaterThan(0);
        for (const p of plain) expect(v?.stroke, id).not.toBe(p.stroke);
      }
      // A marked box is one a failure names, or the other side of a pair one names (same first page).
      const namedPages = new Set(named.map((f) => f.vma!.at));
      for (const v of vmas.filter((x) => x.classes.includes('differs'))) expect(namedPages.has(v.at), `${id} ${v.side} ${v.index}`).toBe(true);
    }
  });

  it('collapses kernel reports under their title, and opens them on a click', async () => {
    const { page, errors } = await openPage('splats.html', runPage(splats));
    const kernelFailures = splats.cases.flatMap((c) => c.failures.filter((f) => f.kind === 'kernel').map((f) => ({ c, f })));
    expect(kernelFailures.length).toBeGreaterThan(0);
    for (const { c, f } of kernelFailures) {
      const report = page.locator(`details.case[data-id="${c.id}"] .kernel details.k-kernel`).filter({ hasText: f.message });
      expect(await report.count()).toBe(1);
      const firstLine = report.locator('pre');
      expect(await firstLine.isVisible()).toBe(false);
      await report.locator('summary').click();
      expect(await firstLine.isVisible()).toBe(true);
      expect(await firstLine.textContent()).toContain(f.details![0]);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('gives the gate and the matrix the same page, with a table whose every link reaches its case', async () => {
    // The gate's table lists the cases that moved (this mutant's 12 regressions), the matrix's every case.
    const moved = gate.comparison.cases.filter((m) => m.movement !== 'unchanged').length;
    for (const [name, built, rows] of [['gate.html', gatePage(gate), moved], ['matrix.html', matrixPage(matrix), matrix.rows.length]] as const) {
      const { page, requests, url, errors } = await openPage(name, built);
      // One table, one section per run; each link's row names the case the link reaches.
      const seen = await page.locator('html').evaluate((root) => ({
        runs: root.querySelectorAll('section.run').length,
        rows: root.querySelectorAll('table.overview tbody tr').length,
        links: [...root.querySelectorAll('table.overview a')].map((a) => ({
          href: a.getAttribute('href'),
          row: a.closest('tr')?.querySelector('td')?.textContent,
          reached: root.ownerDocument.getElementById(a.getAttribute('href')!.slice(1))?.getAttribute('data-id'),
        })),
      }));
      expect(seen.runs, name).toBe(2);
      expect(seen.rows, name).toBe(rows);
      expect(seen.links.length, name).toBe(2 * rows);
      for (const l of seen.links) expect(l.reached, l.href ?? '').toBe(l.row);
      expect(requests).toEqual([url]);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('shows any name of printable ASCII as text, never as markup', async () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    const hostile = `</text></svg><script>document.title="owned"</script><img src="http://example.invalid/x">${printable}`;
    const { ctx } = firstLayout(mutant, SHOWN_CASE);
    const renamed: RunReport = {
      ...mutant,
      cases: mutant.cases.map((c) => (c.id !== SHOWN_CASE ? c : { ...c, title: hostile, failures: c.failures.map((f) => (f.layout === undefined ? f : { ...f, message: hostile, layout: { ...f.layout, actual: f.layout.actual.map((v) => ({ ...v, name: hostile })) } })) })),
    };
    const { page, requests, url, errors } = await openPage('hostile.html', runPage(renamed));
    expect(await page.locator('script, img').count()).toBe(0);
    expect(await page.title()).not.toBe('owned');
    const fig = page.locator(`details.case[data-id="${SHOWN_CASE}"] figure.layout[data-path="${ctx.path}"]`);
    expect(await fig.locator('g.vma[data-side="actual"] text').first().textContent()).toContain(visible(hostile));
    expect(await page.locator(`details.case[data-id="${SHOWN_CASE}"] .failure .msg`).first().textContent()).toBe(hostile);
    expect(await page.locator(`details.case[data-id="${SHOWN_CASE}"] .title`).textContent()).toBe(hostile);
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('would see a page that loads from outside (the check itself works)', async () => {
    const html = renderHtml(runPage(splats)).replace('</body>', '<img src="http://example.invalid/x.png"><link rel="stylesheet" href="https://example.invalid/x.css"></body>');
    const { page, requests, url, errors } = await open('outside.html', html);
    // The page's Content-Security-Policy refuses both before any request; either way the test sees it.
    expect(requests.length + errors.length).toBeGreaterThan(1);
    expect(requests.filter((r) => r !== url).length + errors.filter((e) => /Content Security Policy/.test(e)).length).toBeGreaterThan(0);
    await page.close();
  });
});
