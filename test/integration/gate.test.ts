// `vmaspec gate` end to end, through the command line: Debian's 6.12 source against
// itself (no regression, exit 0) and against a mutant of mutants/ (exactly the cases
// docs/mutants.json says catch it, exit 1), with the KTAP output read by the kernel's
// own parser (tools/testing/kunit/kunit.py parse) and the JUnit XML checked against the
// JSON. The changed kernel is an incremental build in the source's working copy.
import { execa } from 'execa';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateReport } from '../../runner/gate/run.js';
import { debianSource } from '../../runner/kernel/source.js';
import { defaultCacheDir } from '../../runner/kernel/cache.js';
import { createLogger } from '../../runner/log.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { parseTap } from '../../runner/tap/parse.js';
import type { TapDocument, TapResult } from '../../runner/tap/types.js';

const MUTANT = 'len0-skips-validation';
/** The cases the gate runs: the folder holding every case that catches the mutant (asserted below). */
const FOLDER = 'cases/errors';

const out = await mkdtemp(join(tmpdir(), 'vmaspec-gate-'));
afterAll(() => rm(out, { recursive: true, force: true }));

interface Gated {
  exitCode: number;
  stdout: string;
  gate: GateReport;
  ktap: string;
  junit: string;
  html: string;
}

async function gate(name: string, args: string[]): Promise<Gated> {
  const files = { json: join(out, `${name}.json`), ktap: join(out, `${name}.ktap`), junit: join(out, `${name}.xml`), html: join(out, `${name}.html`) };
  const r = await execa('node', [join(repoRoot, 'runner/bin/vmaspec.js'), 'gate', ...args, '--json', files.json, '--ktap', files.ktap, '--junit', files.junit, '--html', files.html, '--no-color', FOLDER], { cwd: repoRoot, reject: false, stderr: 'inherit' });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, gate: JSON.parse(await readFile(files.json, 'utf8')) as GateReport, ktap: await readFile(files.ktap, 'utf8'), junit: await readFile(files.junit, 'utf8'), html: await readFile(files.html, 'utf8') };
}

const regressions = (g: GateReport): string[] => g.comparison.cases.filter((m) => m.movement === 'newly-failing' || m.movement === 'new-splat').map((m) => m.id).sort();

let empty: Gated;
let mutant: Gated;
let kunit: string;

beforeAll(async () => {
  empty = await gate('empty', []);
  mutant = await gate('mutant', ['--series', join(repoRoot, 'mutants', `${MUTANT}.patch`)]);
  const src = await debianSource('6.12', defaultCacheDir(), createLogger({ verbose: false, stream: process.stderr }));
  kunit = join(src.dir, 'tools/testing/kunit/kunit.py');
}, 30 * 60_000);

describe('gate with an empty series', () => {
  it('exits 0 and reports no regression', () => {
    expect(empty.exitCode).toBe(0);
    expect(regressions(empty.gate)).toEqual([]);
    expect(empty.gate.series).toEqual([]);
    expect(empty.stdout).toMatch(/gate: PASS: 0 regression\(s\)/);
  });
});

describe(`gate with mutants/${MUTANT}.patch`, () => {
  it('reports as regressions exactly the cases that catch the mutant, and exits 1', async () => {
    const report = JSON.parse(await readFile(join(repoRoot, 'docs/mutants.json'), 'utf8')) as { mutants: { name: string; failed: { id: string }[] }[] };
    const catching = report.mutants.find((m) => m.name === MUTANT)!.failed.map((f) => f.id).sort();
    expect(catching.length).toBeGreaterThan(0);
    expect(catching.every((id) => `cases/${id}`.startsWith(`${FOLDER}/`)), `every case that catches ${MUTANT} is in ${FOLDER}`).toBe(true);
    expect(regressions(mutant.gate)).toEqual(catching);
    expect(mutant.exitCode).toBe(1);
    expect(mutant.gate.base.summary.pass + mutant.gate.base.summary.skip).toBe(mutant.gate.base.summary.total);
    expect(mutant.stdout).toMatch(/Newly failing \(regressions\): \d+/);
  });

  it("writes KTAP that the kernel's kunit.py parses, with the counts our own parser reads", async () => {
    const parsed = await execa('python3', [kunit, 'parse', join(out, 'mutant.ktap')], { reject: false });
    // kunit.py counts leaf tests: a case's steps where it has them, else the case.
    const leaves = (doc: TapDocument): TapResult[] => doc.results.flatMap((r) => (r.subtests ? leaves(r.subtests) : [r]));
    const all = leaves(parseTap(mutant.ktap.split('\n')).root);
    const skipped = all.filter((r) => r.directive === 'SKIP').length;
    const failed = all.filter((r) => !r.ok).length;
    expect(failed).toBeGreaterThanOrEqual(regressions(mutant.gate).length);
    expect(parsed.stdout).toMatch(new RegExp(`Ran ${all.length} tests: passed: ${all.length - failed - skipped}, failed: ${failed}${skipped ? `, skipped: ${skipped}` : ''}`));
    expect(parsed.exitCode).toBe(1); // kunit.py exits 1 when a test failed
    const clean = await execa('python3', [kunit, 'parse', join(out, 'empty.ktap')], { reject: false });
    expect(clean.exitCode).toBe(0);
  });

  it('writes well-formed JUnit XML whose counts match the JSON', () => {
    expect(XMLValidator.validate(mutant.junit)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(mutant.junit) as { testsuites: { tests: string; failures: string; errors: string; skipped: string } };
    const s = mutant.gate.change.summary;
    expect(Number(doc.testsuites.tests)).toBe(s.total);
    expect(Number(doc.testsuites.failures) + Number(doc.testsuites.errors)).toBe(regressions(mutant.gate).length);
  });

  it('writes the HTML page of the gate (test/unit/html-report.test.ts checks it in a browser): a row and a case of each regression', () => {
    expect(mutant.html).toMatch(/^<!DOCTYPE html>/);
    const rows = mutant.html.slice(mutant.html.indexOf('<table class="overview">'), mutant.html.indexOf('</table>'));
    for (const id of regressions(mutant.gate)) {
      expect(rows).toContain(`<td>${id}</td>`);
      expect(mutant.html).toContain(`data-id="${id}"`);
    }
  });
});
