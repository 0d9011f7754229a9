// The TAP 13 / KTAP v1 parser against the examples of the kernel's
// Documentation/dev-tools/ktap.rst (test/fixtures/tap/, copied verbatim) and the real
// output of probes run in the guest (test/fixtures/streams/probes-*.txt).
import { describe, expect, it } from 'vitest';
import { parseResultStream } from '../../runner/results/stream.js';
import { parseTap } from '../../runner/tap/parse.js';
import type { TapDocument, TapResult } from '../../runner/tap/types.js';
import { fixture } from '../fixtures/plans.js';

const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');
const ktap = (name: string) => parseTap(lines(fixture(`tap/${name}`)));

/** The output lines of case `index` of a captured stream. */
function output(stream: string, index: number): string[] {
  const c = parseResultStream(fixture(`streams/${stream}`)).cases.find((r) => r.index === index);
  if (!c) throw new Error(`no case ${index} in ${stream}`);
  return c.output;
}

/** A compact view: `ok 1 name [SKIP reason] {subtests}`. */
function shape(doc: TapDocument): unknown[] {
  return doc.results.map((r: TapResult) => {
    const head = `${r.ok ? 'ok' : 'not ok'} ${r.number} ${r.description}${r.directive ? ` [${r.directive}${r.reason ? ` ${r.reason}` : ''}]` : ''}`;
    return r.subtests ? { [head]: shape(r.subtests) } : head;
  });
}

describe('parseTap: ktap.rst examples', () => {
  it('result lines: number, description, directive and diagnostic data', () => {
    const parsed = lines(fixture('tap/result-lines.ktap')).map((l) => parseTap([l]).root.results[0]);
    expect(parsed.map((r) => [r?.ok, r?.number, r?.description, r?.directive, r?.reason])).toEqual([
      [true, 1, 'test_case_name', null, ''],
      [false, 1, 'test_case_name', null, ''],
      [true, 1, 'test', 'SKIP', 'necessary dependency unavailable'],
      [false, 1, 'test', 'TIMEOUT', '30 seconds'],
      [true, 5, 'check return code', null, 'rcode=0'],
    ]);
  });

  it('a test with two nested subtests; the diagnostic before the parent result is its own', () => {
    const t = ktap('two-nested.ktap');
    expect(t.found).toBe(true);
    expect(t.root.version).toBe('KTAP version 1');
    expect(t.root.plan).toMatchObject({ count: 1, skip: false });
    expect(shape(t.root)).toEqual([{ 'not ok 1 example': ['ok 1 test_1', 'not ok 2 test_2'] }]);
    expect(t.root.results[0]?.diagnostics).toEqual(['# example failed']);
    expect(t.root.results[0]?.subtests).toMatchObject({ version: 'KTAP version 1', indent: 2, plan: { count: 2 } });
    expect(t.problems).toEqual([]);
  });

  it('multiple levels of nesting', () => {
    const t = ktap('multi-level.ktap');
    expect(shape(t.root)).toEqual([
      { 'not ok 1 example_test_1': [{ 'not ok 1 test_3': ['not ok 1 test_1', 'ok 2 test_2'] }, 'ok 2 test_4 [SKIP]'] },
      'ok 2 example_test_2',
    ]);
    expect(t.problems).toEqual([]);
    expect(t.unfinished).toEqual([]);
  });

  it('the example KTAP output: hierarchy, skips with reasons, diagnostics by test', () => {
    const t = ktap('example.ktap');
    expect(shape(t.root)).toEqual([
      {
        'not ok 1 main_test': [
          { 'ok 1 example_test_1': ['ok 1 test_1'] },
          { 'ok 2 example_test_2': ['ok 1 test_1 [SKIP test_1 skipped]', 'ok 2 test_2'] },
          { 'not ok 3 example_test_3': ['ok 1 test_1', 'not ok 2 test_2', 'ok 3 test_3 [SKIP test_3 skipped]'] },
        ],
      },
    ]);
    const main = t.root.results[0]?.subtests;
    expect(main?.results[0]?.subtests?.results[0]?.diagnostics).toEqual(['# test_1: initializing test_1']);
    expect(main?.results[2]?.subtests?.results[1]?.diagnostics).toEqual(['# test_2: FAIL']);
    expect(main?.results[2]?.subtests?.results[2]?.diagnostics).toEqual([]);
  });
});

describe('parseTap: TAP 13 / 14 forms', () => {
  it('numbers are optional, "- " before the description is dropped, \\# is an escaped hash', () => {
    const t = parseTap(['TAP version 13', 'ok - first', 'not ok 2 - C\\# works # TODO later', 'ok 3']);
    expect(t.root.version).toBe('TAP version 13');
    expect(t.root.results.map((r) => [r.number, r.description, r.directive, r.reason])).toEqual([
      [null, 'first', null, ''],
      [2, 'C# works', 'TODO', 'later'],
      [3, '', null, ''],
    ]);
  });

  it('a plan at the end, a skipped plan and a Skipped: spelling', () => {
    expect(parseTap(['ok 1 a', 'ok 2 b', '1..2']).root.plan).toEqual({ count: 2, skip: false, reason: '', line: 3 });
    expect(parseTap(['TAP version 13', '1..0 # Skipped: no hugetlbfs']).root.plan).toEqual({ count: 0, skip: true, reason: 'no hugetlbfs', line: 2 });
    expect(parseTap(['ok 1 x # skip not here']).root.results[0]).toMatchObject({ directive: 'SKIP', reason: 'not here' });
  });

  it('a YAML block after a result belongs to it', () => {
    const t = parseTap(['TAP version 13', '1..2', 'not ok 1 - name shows', '  ---', '  expected: "[anon:a]"', '  got: "[anon:b]"', '  ...', 'ok 2 - next']);
    expect(t.root.results[0]?.diagnostics).toEqual(['expected: "[anon:a]"', 'got: "[anon:b]"']);
    expect(t.root.results[1]?.diagnostics).toEqual([]);
  });

  it('TAP 14 subtests: a "# Subtest" comment, then an indented block without a version line', () => {
    const t = parseTap(['TAP version 14', '1..1', '# Subtest: group', '    1..2', '    ok 1 - a', '    not ok 2 - b', 'not ok 1 - group']);
    expect(shape(t.root)).toEqual([{ 'not ok 1 group': ['ok 1 a', 'not ok 2 b'] }]);
    expect(t.root.results[0]?.diagnostics).toEqual(['# Subtest: group']);
  });

  it('"ok" must be a word, "Bail out!" is kept with its reason, unknown lines are diagnostics', () => {
    const t = parseTap(['okay then', 'KTAP version 1', '1..2', 'ok 1 a', 'Bail out! no memory', 'ok 2 b']);
    expect(t.root.results[0]?.diagnostics).toEqual(['okay then']);
    expect(t.bailOut).toEqual({ reason: 'no memory', line: 5 });
  });

  it('kselftest_harness.h output: the # lines of a failing test come before its result', () => {
    const t = parseTap([
      'TAP version 13',
      '1..2',
      '# Starting 2 tests from 1 test cases.',
      '#  RUN           global.a ...',
      '#            OK  global.a',
      'ok 1 global.a',
      '#  RUN           global.b ...',
      '# t.c:10:b:Expected 1 (1) == 2 (2)',
      '#          FAIL  global.b',
      'not ok 2 global.b',
      '# FAILED: 1 / 2 tests passed.',
    ]);
    expect(t.root.results[1]?.diagnostics).toEqual(['#  RUN           global.b ...', '# t.c:10:b:Expected 1 (1) == 2 (2)', '#          FAIL  global.b']);
    expect(t.root.trailing).toEqual(['# FAILED: 1 / 2 tests passed.']);
  });

  it('no TAP line at all', () => {
    const t = parseTap(['hello', '# just a comment']);
    expect(t.found).toBe(false);
    expect(t.root.results).toEqual([]);
    expect(t.root.trailing).toEqual(['hello', '# just a comment']);
  });

  it('numbers out of sequence, a second plan and a block without its parent result are problems', () => {
    const t = parseTap(['KTAP version 1', '1..3', 'ok 1 a', 'ok 3 c', '1..3', '  KTAP version 1', '  1..1', '  ok 1 inner']);
    expect(t.problems.map((p) => p.message)).toEqual([
      'test number 3 out of sequence (expected 2)',
      'a second plan at the same level (first at line 2)',
      'subtests at line 6 have no result line of their own',
    ]);
    expect(t.unfinished.map((d) => d.line)).toEqual([6]);
  });
});

describe('parseTap: real probe output from the guest', () => {
  it('ktap.h output of a passing probe (cases/probes/anon-name.c)', () => {
    const t = parseTap(output('probes-examples.txt', 0));
    expect(shape(t.root)).toEqual(['ok 1 prctl_names_middle_page', 'ok 2 maps_shows_anon_name', 'ok 3 outer_pages_stay_unnamed']);
    expect(t.root.results[1]?.diagnostics[0]).toMatch(/^# maps: [0-9a-f]+-[0-9a-f]+ rw-p 00000000 00:00 0 +\[anon:vmaspec_probe\]$/);
    expect(t.root.trailing).toEqual(['# Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0']);
  });

  it('a skipped plan (cases/probes/sysv-shm-name.c on a kernel without SysV IPC)', () => {
    const t = parseTap(output('probes-examples.txt', 1));
    expect(t.root.plan).toMatchObject({ count: 0, skip: true, reason: 'SysV IPC is not built in (shmget: ENOSYS, CONFIG_SYSVIPC=n)' });
  });

  it('every result kind of ktap.h and a nested block (test/fixtures/probes/fail-nested.c)', () => {
    const t = parseTap(output('probes-fixtures.txt', 2));
    expect(shape(t.root)).toEqual([
      'ok 1 first',
      'not ok 2 second',
      'ok 3 third [SKIP needs CONFIG_FOO]',
      { 'not ok 4 nested': ['ok 1 inner_pass', 'not ok 2 inner_fail'] },
      'ok 5 fifth [XFAIL known to fail on 6.12]',
      'not ok 6 sixth [TODO not implemented yet]',
    ]);
    expect(t.root.results[1]?.diagnostics).toEqual(['# expected [anon:a], got [anon:b]', '# at page 3']);
    expect(t.root.results[3]?.subtests?.results[1]?.diagnostics).toEqual(['# inner diagnostic']);
    expect(t.problems).toEqual([]);
  });
});
