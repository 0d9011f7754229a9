// The pure parts of `vmaspec mutants`: loading the patches of mutants/ and the report.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byName, loadMutants, parseMutant } from '../../runner/mutants/patches.js';
import { failedCases, mergeReports, mutantError, mutantResult, renderMutants, type MutantsReport } from '../../runner/mutants/report.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { caseReport, runReport } from '../../runner/report/build.js';
import { parseResultStream } from '../../runner/results/stream.js';
import { judgeCase, skipVerdict } from '../../runner/verdict/judge.js';
import { fixture, s1Case } from '../fixtures/plans.js';

const dir = join(repoRoot, 'mutants');

describe('mutant patches', () => {
  it('loads at least 8 patches of mutants/, each with a header, a key and the files it touches', async () => {
    const mutants = await loadMutants(dir);
    expect(mutants.length).toBeGreaterThanOrEqual(8);
    for (const m of mutants) {
      expect(m.description, m.name).toMatch(/^Mutant: /);
      expect(m.keys.length, m.name).toBeGreaterThan(0);
      expect(m.files.length, m.name).toBeGreaterThan(0);
    }
    expect(mutants.map((m) => m.name)).toEqual([...mutants.map((m) => m.name)].sort(byName));
  });

  it('reads the keys after "Breaks:" and the files of the +++ lines', async () => {
    const path = join(dir, 'null-does-not-clear.patch');
    const m = parseMutant(path, await readFile(path, 'utf8'));
    expect(m.name).toBe('null-does-not-clear');
    expect(m.keys).toEqual(['R15']);
    expect(m.files).toEqual(['mm/madvise.c']);
    expect(m.description).toContain('replace_anon_vma_name()');
    expect(m.description).not.toContain('--- a/');
  });

  it('loads only the mutants named, by name or path, and rejects unknown names', async () => {
    const some = await loadMutants(dir, ['mutants/length-limit-81.patch', 'chars-accept-0x7f']);
    expect(some.map((m) => m.name)).toEqual(['chars-accept-0x7f', 'length-limit-81']);
    await expect(loadMutants(dir, ['no-such-mutant'])).rejects.toThrow(/no such mutant.*no-such-mutant/);
  });

  it('rejects a patch without a header comment or without a diff', () => {
    const diff = '--- a/kernel/sys.c\n+++ b/kernel/sys.c\n@@ -1 +1 @@\n-a\n+b\n';
    expect(() => parseMutant('x.patch', diff)).toThrow(/no header comment/);
    expect(() => parseMutant('x.patch', 'Mutant: nothing\nBreaks: R4\n')).toThrow(/not a unified diff/);
    expect(parseMutant('x.patch', `Mutant: b\nBreaks: R4, MF3 and R10b.\n\n${diff}`).keys).toEqual(['R4', 'MF3', 'R10b']);
  });
});

describe('mutants report', () => {
  const { c, compiled } = s1Case();
  const records = parseResultStream(fixture('streams/pass-fail-crash.txt')).cases;
  const judged = records.map((r, i) => caseReport({ ...c, id: `case-${i}` }, judgeCase(compiled, c, r)));
  const skipped = caseReport({ ...c, id: 'skipped' }, skipVerdict('needs kernel >=6.13'));
  const report = (cases: typeof judged) => runReport({ kernel: { release: '6.12.117', arch: 'x86_64', source: 'tree:/w' }, started: '2026-01-01T00:00:00.000Z', durationMs: 1, cases });
  /** The unpatched run: every case passes. */
  const base = report(judged.map((r) => ({ ...r, verdict: 'pass' as const, failures: [] })));
  const mutant = { name: 'length-limit-81', path: '/m/length-limit-81.patch', description: 'Mutant: 81. Breaks: R3.', keys: ['R3'], files: ['kernel/sys.c'] };

  it('counts every verdict but pass and skip as a failed case', () => {
    expect(judged.map((r) => r.verdict)).toEqual(['pass', 'fail', 'crashed']);
    expect(failedCases(report([...judged, skipped]))).toEqual([
      { id: 'case-1', verdict: 'fail' },
      { id: 'case-2', verdict: 'crashed' },
    ]);
  });

  it('calls a mutant caught when a case failed, survived when every case passed', () => {
    expect(mutantResult(mutant, report(judged), 42, 't', base).status).toBe('caught');
    const survived = mutantResult(mutant, report([judged[0]!, skipped]), 42, 't', base);
    expect(survived).toMatchObject({ status: 'survived', failed: [], cases: 2 });
    // the gate's regressions against the unpatched run are the failing cases
    expect(mutantResult(mutant, report(judged), 42, 't', base).regressions).toEqual(['case-1', 'case-2']);
  });

  it('merges a partial run into the earlier report and drops mutants no longer in mutants/', () => {
    const earlier: MutantsReport = mergeReports(null, { kernel: 'k', cases: 3, failed: [], ran: 't0' }, [mutantError({ ...mutant, name: 'gone' }, 'x', 1, 't0'), mutantError({ ...mutant, name: 'b' }, 'old', 1, 't0')], ['gone', 'b']);
    const merged = mergeReports(earlier, null, [mutantResult({ ...mutant, name: 'b' }, report(judged), 5, 't1', base), mutantResult({ ...mutant, name: 'a' }, report(judged), 5, 't1', base)], ['a', 'b']);
    expect(merged.mutants.map((m) => [m.name, m.status, m.ran])).toEqual([
      ['a', 'caught', 't1'],
      ['b', 'caught', 't1'],
    ]);
    expect(merged.baseline?.kernel).toBe('k');
  });

  it('renders the baseline, one table row per mutant with the failed cases, and the mutants not run', () => {
    const merged = mergeReports(null, { kernel: 'tree 6.12.117', cases: 3, failed: [], ran: 't0' }, [mutantResult(mutant, report(judged), 42, 't1', base), mutantResult({ ...mutant, name: 'fork-copies-names' }, report([judged[0]!]), 9, 't1', base), mutantError({ ...mutant, name: 'broken|patch' }, 'patch failed', 1, 't1')], ['length-limit-81', 'fork-copies-names', 'broken|patch', 'maps-format-anon']);
    const md = renderMutants(merged, ['maps-format-anon']);
    const lines = md.split('\n');
    expect(md).toContain('Unpatched kernel (tree 6.12.117, t0): all 3 cases pass.');
    expect(md).toContain('1 of 3 mutant(s) run are caught; not run yet: `maps-format-anon`.');
    expect(lines).toContain('| [length-limit-81](../mutants/length-limit-81.patch) | R3 | `kernel/sys.c` | caught (2/3) | `case-1`, `case-2` (crashed) | 2 regression(s), the same cases |');
    expect(lines).toContain('| [fork-copies-names](../mutants/fork-copies-names.patch) | R3 | `kernel/sys.c` | **survived** (0/1) |  | 0 regression(s), the same cases |');
    expect(md).toContain('| **error**: patch failed |');
    expect(lines).toContain('- **length-limit-81** (42 s, t1): Mutant: 81. Breaks: R3.');
  });

  it('renders a baseline with failures in bold', () => {
    const md = renderMutants(mergeReports(null, { kernel: 'k', cases: 3, failed: [{ id: 'x/y', verdict: 'fail' }], ran: 't' }, [], []));
    expect(md).toContain('**1 of 3 cases do not pass**: `x/y` (fail)');
  });
});
