// KTAP and JUnit reports, shards and their merge, the gate's comparison and the mbox
// split, on a real run report (the suite on the 6.12 kernel without ANON_VMA_NAME, with
// merge/m2 failing there before the probe learnt the memfd reserve) and a real mbox.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { compareRuns, formatComparison, movement } from '../../runner/gate/compare.js';
import { splitMbox } from '../../runner/gate/series.js';
import { JUNIT_ELEMENT, renderJunit } from '../../runner/report/junit.js';
import { markupText } from '../../runner/report/markup.js';
import { ktapText, renderKtap } from '../../runner/report/ktap.js';
import { mergeReports, parseShard, selectShard } from '../../runner/report/shard.js';
import { stepResults } from '../../runner/report/steps.js';
import type { RunReport } from '../../runner/report/types.js';
import { parseTap } from '../../runner/tap/parse.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { runReport } from '../../runner/report/build.js';
import type { Case } from '../../runner/cases/types.js';
import { loadSuite } from '../../runner/run.js';

const dir = join(repoRoot, 'test/fixtures/reports');
const real = JSON.parse(await readFile(join(dir, 'no-anon-vma-name-m2-fail.json'), 'utf8')) as RunReport;
const failing = real.cases.find((c) => c.verdict === 'fail')!;

/** The real report with its failing case given the steps a run now records. */
const withSteps: RunReport = {
  ...real,
  cases: real.cases.map((c) =>
    c === failing
      ? { ...c, steps: [{ name: 'steps[0].map', status: 'pass' }, { name: 'steps[1].when', status: 'skip', reason: 'when: not this kernel' }, { name: 'steps[7].expect', status: 'fail', messages: c.failures.map((f) => f.message) }] }
      : c,
  ),
};

describe('KTAP report', () => {
  const text = renderKtap(withSteps);
  const parsed = parseTap(text.split('\n'));

  it('is KTAP v1 with one result per case, in order, numbered from 1', () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.root.version).toBe('KTAP version 1');
    expect(parsed.root.plan?.count).toBe(real.cases.length);
    expect(parsed.root.results.map((r) => r.description)).toEqual(real.cases.map((c) => c.id));
    expect(parsed.root.results.map((r) => r.number)).toEqual(real.cases.map((_, i) => i + 1));
  });

  it('counts match the JSON: ok, not ok, SKIP with the reason', () => {
    const r = parsed.root.results;
    expect(r.filter((x) => x.ok && x.directive === null).length).toBe(real.summary.pass);
    expect(r.filter((x) => x.directive === 'SKIP').length).toBe(real.summary.skip);
    expect(r.filter((x) => !x.ok).length).toBe(real.summary.total - real.summary.pass - real.summary.skip);
    const skipped = real.cases.find((c) => c.verdict === 'skip')!;
    expect(r.find((x) => x.description === skipped.id)?.reason).toBe(ktapText(skipped.skipReason!));
  });

  it("shows a case's steps as subtests, with the failures before the failing step", () => {
    const m2 = parsed.root.results.find((x) => x.description === failing.id)!;
    expect(m2.ok).toBe(false);
    expect(m2.subtests?.results.map((s) => [s.ok, s.description, s.directive])).toEqual([
      [true, 'steps[0].map', null],
      [true, 'steps[1].when', 'SKIP'],
      [false, 'steps[7].expect', null],
    ]);
    expect(m2.subtests?.results[2]?.diagnostics.join('\n')).toContain('expected 3 VMAs, got 4');
  });

  it('gives a case that crashed with no failing step a failing subtest of its own', () => {
    const crashed = { ...failing, verdict: 'crashed' as const, failures: [{ kind: 'harness' as const, message: 'the guest stopped', path: null, proc: null, step: null }], steps: [{ name: 'steps[0].map', status: 'pass' as const }] };
    const doc = parseTap(renderKtap({ ...real, cases: [crashed] }).split('\n'));
    expect(doc.root.results[0]?.subtests?.results.map((s) => [s.ok, s.description])).toEqual([[true, 'steps[0].map'], [false, 'crashed']]);
    expect(doc.root.results[0]?.subtests?.results[1]?.diagnostics).toContain('# the guest stopped');
  });

  it('keeps names and reasons on one line without #', () => {
    expect(ktapText('a # b\nc')).toBe('a %23 b c');
  });
});

describe('JUnit report', () => {
  const xml = renderJunit(withSteps);

  it('is well-formed XML', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it('counts match the JSON, per verdict', () => {
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: { tests: string; failures: string; errors: string; skipped: string; testsuite: { testcase: { name: string; failure?: unknown; error?: unknown; skipped?: unknown }[] } };
    };
    const s = real.summary;
    const count = (el: 'failure' | 'error'): number => real.cases.filter((c) => JUNIT_ELEMENT[c.verdict] === el).length;
    expect(Number(doc.testsuites.tests)).toBe(s.total);
    expect(Number(doc.testsuites.failures)).toBe(count('failure'));
    expect(Number(doc.testsuites.errors)).toBe(count('error'));
    expect(Number(doc.testsuites.skipped)).toBe(s.skip);
    const cases = doc.testsuites.testsuite.testcase;
    expect(cases.length).toBe(s.total);
    expect(cases.filter((c) => c.failure !== undefined).length).toBe(s.fail);
    expect(cases.filter((c) => c.skipped !== undefined).length).toBe(s.skip);
  });

  it('escapes markup and characters XML cannot hold', () => {
    expect(markupText('<a href="x">&\'\u0001')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;\\x01');
  });
});

const suiteCases: Case[] = await loadSuite(join(repoRoot, 'cases'), []);

describe('shards', () => {
  const cases = suiteCases;

  it('parse i/n and refuse anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '1/2/3']) expect(() => parseShard(bad)).toThrow(/expected i\/n/);
  });

  it.each([1, 2, 3, 5])('of %i partition the cases: each case in exactly one shard, sizes within one', (n) => {
    const shards = Array.from({ length: n }, (_, i) => selectShard(cases, { index: i + 1, count: n }).map((c) => c.id));
    expect(shards.flat().sort()).toEqual(cases.map((c) => c.id).sort());
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('merge back into the unsharded verdicts; overlaps and other kernels are refused', () => {
    const ids = (r: RunReport): string[] => r.cases.map((c) => c.id);
    const parts = [1, 2, 3].map((i) => {
      const mine = new Set(selectShard(real.cases, { index: i, count: 3 }).map((c) => c.id));
      return runReport({ kernel: real.kernel, started: real.started, durationMs: 10, cases: real.cases.filter((c) => mine.has(c.id)) });
    });
    const merged = mergeReports(parts, ['a.json', 'b.json', 'c.json']);
    expect(new Map(merged.cases.map((c) => [c.id, c.verdict]))).toEqual(new Map(real.cases.map((c) => [c.id, c.verdict])));
    expect(merged.summary).toMatchObject(real.summary);
    expect(ids(merged)).toEqual([...ids(real)].sort());
    expect(() => mergeReports([parts[0]!, parts[0]!], ['a.json', 'b.json'])).toThrow(/is in a\.json and in b\.json/);
    expect(() => mergeReports([parts[0]!, { ...parts[1]!, kernel: { ...real.kernel, release: '6.1.1' } }], ['a.json', 'b.json'])).toThrow(/b\.json ran on another kernel/);
  });
});

describe('gate comparison', () => {
  it('sorts each verdict pair into a movement', () => {
    expect(movement('pass', 'fail')).toBe('newly-failing');
    expect(movement('skip', 'crashed')).toBe('newly-failing');
    expect(movement('fail', 'pass')).toBe('newly-passing');
    expect(movement('fail', 'fail')).toBe('failing-in-both');
    expect(movement('broken', 'fail')).toBe('failing-in-both');
    expect(movement('pass', 'pass')).toBe('unchanged');
    expect(movement('pass', 'skip')).toBe('unchanged');
    expect(movement('absent', 'fail')).toBe('newly-failing');
  });

  it('counts regressions and prints one section per movement', () => {
    const base = { ...real, cases: real.cases.map((c) => (c.id === 'pagemap/pg1-present-after-touch' ? { ...c, verdict: 'fail' as const } : c)) };
    const change = { ...real, cases: real.cases.map((c) => (c.id === 'upstream/proc-pid-vm' ? { ...c, verdict: 'crashed' as const, failures: [{ kind: 'harness' as const, message: 'the guest stopped', path: null, proc: null, step: null }] } : c)) };
    const cmp = compareRuns(base, change);
    expect(cmp.regressions).toBe(1);
    expect(cmp.cases.filter((m) => m.movement !== 'unchanged').map((m) => [m.id, m.movement])).toEqual([
      ['merge/m2-vm-account-after-mprotect', 'failing-in-both'],
      ['pagemap/pg1-present-after-touch', 'newly-passing'],
      ['upstream/proc-pid-vm', 'newly-failing'],
    ]);
    const text = formatComparison(cmp, 'base', 'change');
    expect(text).toContain('Newly failing (regressions): 1\n  upstream/proc-pid-vm  pass -> crashed  the guest stopped');
    expect(text).toMatch(/gate: FAIL: 1 regression\(s\), 89 of 92 case\(s\) unchanged\n$/);
    expect(compareRuns(real, real).regressions).toBe(0);
  });
});

describe('a git format-patch mbox', () => {
  it('splits into its patches, in order, each a whole patch with its subject', async () => {
    const text = await readFile(join(dir, 'two-patches.mbox'), 'utf8');
    const patches = splitMbox(text, 'two.mbox');
    expect(patches.map((p) => p.label)).toEqual([
      'two.mbox [1/2] [PATCH 1/2] c-helpers/procmaps.h: one /proc/self/maps walker for',
      'two.mbox [2/2] [PATCH 2/2] README: the warm suite time as it is now',
    ]);
    expect(Buffer.concat(patches.map((p) => p.text)).toString()).toBe(text);
    expect(patches[1]!.text.toString()).toMatch(/^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n/);
    expect(splitMbox('--- a/x\n+++ b/x\n', 'one.patch')).toHaveLength(1);
  });
});

describe('step results', () => {
  it('fail where a failure path lies in the step, skip where the plan left the step out', async () => {
    const [c] = (await loadSuite(join(repoRoot, 'cases'), [join(repoRoot, 'cases/errors/p2-feature-off-einval.yaml')])) as [Case];
    const ran = new Set(['steps[0]', 'steps[1]', 'steps[2]']);
    const results = stepResults(c, ran, [{ kind: 'layout', message: 'm', path: 'steps[2].expect.layout[0].name', proc: 'parent', step: 3 }], { paths: new Set(), why: '' });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['steps[0].map', 'pass'],
      ['steps[1].name', 'pass'],
      ['steps[2].expect', 'fail'],
      ['steps[3].name', 'skip'],
      ['steps[4].name', 'skip'],
      ['steps[5].name', 'skip'],
      ['steps[6].expect', 'skip'],
    ]);
  });

  it('notrun where the guest reported nothing of the step, and KTAP counts it not ok with the reason', async () => {
    const [c] = (await loadSuite(join(repoRoot, 'cases'), [join(repoRoot, 'cases/errors/p2-feature-off-einval.yaml')])) as [Case];
    const ran = new Set(['steps[0]', 'steps[1]', 'steps[2]']);
    const results = stepResults(c, ran, [], { paths: new Set(['steps[1]', 'steps[2]']), why: 'the guest died before it' });
    expect(results.slice(0, 3).map((r) => [r.name, r.status, r.reason])).toEqual([
      ['steps[0].map', 'pass', undefined],
      ['steps[1].name', 'notrun', 'the guest died before it'],
      ['steps[2].expect', 'notrun', 'the guest died before it'],
    ]);
    const crashed = { ...failing, verdict: 'crashed' as const, failures: [{ kind: 'harness' as const, message: 'the guest stopped', path: null, proc: null, step: null }], steps: results.slice(0, 3) };
    const text = renderKtap({ ...real, cases: [crashed] });
    expect(text).toContain('    # not run: the guest died before it\n    not ok 2 steps[1].name\n');
    const doc = parseTap(text.split('\n'));
    // No extra verdict subtest: the unrun steps already fail.
    expect(doc.root.results[0]?.subtests?.results.map((s) => [s.ok, s.description])).toEqual([[true, 'steps[0].map'], [false, 'steps[1].name'], [false, 'steps[2].expect']]);
  });
});
