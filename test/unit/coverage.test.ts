// vmaspec coverage: the keys of the real docs/kernel-behaviour.md, the cases that cite them,
// and docs/coverage.md as the generator writes it (so the page cannot go stale).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COVERAGE_FILE, computeCoverage, FACTS_FILE, renderCoverage, repoCoverage, testFileSpecs } from '../../runner/coverage/coverage.js';
import { parseFacts, tableCells } from '../../runner/coverage/facts.js';
import { NOT_CHECKABLE } from '../../runner/coverage/not-checkable.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const page = await readFile(join(repoRoot, FACTS_FILE), 'utf8');
const facts = parseFacts(page);
const byKey = new Map(facts.map((f) => [f.key, f]));
const range = (p: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${p}${i + 1}`);

describe('the keys of docs/kernel-behaviour.md', () => {
  it('are every fact and scenario key, once each', () => {
    const expected = [
      ...range('R', 21), 'R10b', ...range('P', 3), ...range('F', 9), ...range('M', 3), ...range('S', 18), 'S9r',
      ...range('K', 5), ...range('A', 5), ...range('MF', 4), ...range('Q', 5), 'PM1', 'PG1',
      ...range('MR', 9), ...range('KS', 5), ...range('HS', 2), ...range('D', 5),
    ];
    expect(facts.map((f) => f.key).sort()).toEqual(expected.sort());
  });

  it('carry their one-line text and status from bullets and both tables', () => {
    expect(byKey.get('P1')).toMatchObject({ status: 'checked', section: 'Feature probe and build' });
    expect(byKey.get('P1')?.text).toMatch(/^`prctl\(PR_SET_VMA, PR_SET_VMA_ANON_NAME, <anon page>, 4096, "x"\)` returns 0/);
    expect(byKey.get('R1')).toMatchObject({ status: 'checked', text: '`arg2` (the sub-option) is not 0 → EINVAL, checked before the name is read' });
    expect(byKey.get('R5')).toMatchObject({ status: 'source', text: 'allocation failure → ENOMEM' });
    expect(byKey.get('R10')?.status).toBe('checked (SysV/hugetlb: source)');
    // a `|` inside a code span does not end the cell
    expect(byKey.get('R4')?.text).toContain('`~`, `{|}`, `!#%&');
    expect(byKey.get('R4')?.text).toMatch(/^a byte outside 0x20–0x7e, .* → EINVAL \(also 0x1f/);
    expect(byKey.get('S9')).toMatchObject({ status: null, text: 'A unfaulted "a", B faulted unnamed (either side); name B "a" (or mprotect to match) → **2** in 6.12 (upstream changed this in 2025)' });
    expect(byKey.get('PM1')?.status).toBeNull();
    expect(byKey.get('K5')?.text).toMatch(/^Cost: with 64K named VMAs/);
    expect(byKey.get('MF1')?.line).toBe(page.split('\n').findIndex((l) => l.startsWith('- **MF1**')) + 1);
  });

  it('are rejected when a key is given twice', () => {
    expect(() => parseFacts('- **R1** (checked) a\n\n| R1 | b | c | checked |\n')).toThrow(/key R1 already given at line 1/);
  });
});

describe('tableCells', () => {
  it('splits on bare pipes only', () => {
    expect(tableCells('| R4 | `{|}` and `` ` `` | a\\|b | checked |')).toEqual(['R4', '`{|}` and `` ` ``', 'a\\|b', 'checked']);
    expect(tableCells('|---|---|')).toEqual(['---', '---']);
  });
});

describe('coverage', () => {
  it('lists cases per key, the uncovered keys with their reason, and keys no fact defines', () => {
    const cov = computeCoverage(facts, [
      { id: 'b/two', spec: ['S1', 'X9'] },
      { id: 'a/one', spec: ['S1'] },
    ], { R5: 'alloc failure', Z1: 'gone' });
    expect(cov.facts.find((r) => r.fact.key === 'S1')?.cases).toEqual(['a/one', 'b/two']);
    expect(cov.uncovered.find((u) => u.fact.key === 'R5')?.reason).toBe('alloc failure');
    expect(cov.uncovered.find((u) => u.fact.key === 'R1')?.reason).toBeNull();
    expect(cov.uncovered.some((u) => u.fact.key === 'S1')).toBe(false);
    expect(cov.unknown).toEqual([{ key: 'X9', cases: ['b/two'] }]);
    expect(cov.staleReasons).toEqual(['Z1']);
    const md = renderCoverage(cov);
    expect(md).toContain('- **R5**: not checkable here: alloc failure');
    expect(md).toContain('- **R1**: no case yet');
    expect(md).toContain('- **X9**: `b/two`');
  });

  it('of the repository: every cited key exists, every reason names a key, no reason for a covered key', async () => {
    const cov = await repoCoverage(repoRoot);
    expect(cov.unknown).toEqual([]);
    expect(cov.staleReasons).toEqual([]);
    const covered = new Set(cov.facts.filter((r) => r.cases.length > 0).map((r) => r.fact.key));
    expect(Object.keys(NOT_CHECKABLE).filter((k) => covered.has(k))).toEqual([]);
  });

  it('reads the keys of `// spec:` lines of test files, with or without a dash and text after them', () => {
    expect(testFileSpecs('// spec: P3 — a Kconfig dependency\nimport x;\n  // spec: F9, R5\n// specs: X1\nconst s = "// spec: Q1";\n')).toEqual(['P3', 'F9', 'R5']);
    expect(testFileSpecs('// no spec here\n')).toEqual([]);
  });

  it('of the repository: every key has a case or a test', async () => {
    const cov = await repoCoverage(repoRoot);
    expect(cov.uncovered.map((u) => u.fact.key)).toEqual([]);
    expect(cov.facts.find((r) => r.fact.key === 'P3')?.cases).toEqual(['test/integration/kconfig-dependencies.test.ts']);
  });

  it(`${COVERAGE_FILE} is what \`vmaspec coverage\` writes (run it after changing cases or the reference)`, async () => {
    const written = await readFile(join(repoRoot, COVERAGE_FILE), 'utf8');
    expect(written).toBe(renderCoverage(await repoCoverage(repoRoot)));
  });
});
