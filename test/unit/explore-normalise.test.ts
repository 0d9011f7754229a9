// The differential oracle on real guest runs (test/fixtures/explore/: generated cases and the
// result streams of their runs): two runs of 6.12 read alike once normalised, though their raw
// streams differ; 6.12 and the maps-format-anon and fork-copies-names mutants do not; a finding becomes a valid case.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import { regressionCase } from '../../runner/explore/finding.js';
import { caseText, isRecordAll, loadGenerated, RECORD_ALL, type RawCase } from '../../runner/explore/generate.js';
import { differences, observe } from '../../runner/explore/normalise.js';
import { compileCase } from '../../runner/plan/compile.js';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';
import { parse } from 'yaml';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'explore');
const text = (f: string): string => readFileSync(join(DIR, f), 'utf8');

/** A fixture case compiled as it ran (plan index `index` of its boot) and the record of one stream. */
function recorded(name: string, index: number, stream: string) {
  const c = parseCase(text(`${name}.yaml`), `${name}.yaml`, name).case!;
  const compiled = compileCase(c, index, 4096, { release: '6.12.118', config: new Map() });
  const record = casesByIndex(parseResultStream(text(stream))).get(index);
  return { compiled, record, obs: observe(compiled, record) };
}

describe('explore: normalised observations', () => {
  it('reads two runs of one kernel alike, though the rollup of the whole process moved between them', () => {
    expect(text('s2-4.612.txt')).not.toBe(text('s2-4.612-again.txt'));
    const [a, b] = [recorded('s2-4', 4, 's2-4.612.txt'), recorded('s2-4', 4, 's2-4.612-again.txt')];
    expect(a.obs.steps.length).toBeGreaterThan(5);
    expect(differences(a.obs, b.obs)).toEqual([]);
  });

  it('keeps no address, inode or PFN that a run of its own would change', () => {
    const lines = recorded('s1-2', 2, 's1-2.612.txt').obs.steps.flatMap((s) => s.lines);
    expect(lines.some((l) => /^p-?\d+-p\d+ /.test(l))).toBe(true);
    expect(lines.filter((l) => /\b(200000|7ff)[0-9a-f]{6,}/.test(l))).toEqual([]);
    expect(lines.filter((l) => /^P /.test(l) && !/flags=[01]{9}$/.test(l))).toEqual([]);
  });

  it('finds where the mutant differs: the maps name of named anonymous memory', () => {
    const [base, mutant] = [recorded('s1-2', 2, 's1-2.612.txt'), recorded('s1-2', 2, 's1-2.maps-format-anon.txt')];
    const [first] = differences(base.obs, mutant.obs);
    expect(first?.base).toContain('[anon:vmaspec:window]');
    expect(first?.change).toContain('[anon: vmaspec:window]');
  });

  it('writes the finding as a valid case: the base errnos in, the view that differs as expectations, the record steps out', () => {
    const base = recorded('s1-2', 2, 's1-2.612.txt');
    const mutant = recorded('s1-2', 2, 's1-2.maps-format-anon.txt');
    const [first] = differences(base.obs, mutant.obs);
    const parsed = parse(text('s1-2.yaml')) as RawCase;
    // As the generator builds it: one `record: all` value shared by its steps.
    const raw = { ...parsed, steps: parsed.steps.map((s) => (isRecordAll(s) ? RECORD_ALL : s)) };
    const out = regressionCase(raw, base.compiled, base.record!, { step: first!.step!, line: first!.base });
    const written = caseText(out, ['a comment']);
    loadGenerated(written, 'finding.yaml', 'finding');
    expect(JSON.stringify(out.steps)).not.toContain(JSON.stringify(RECORD_ALL));
    // Only the step where the kernels differ becomes an expectation.
    expect(out.steps.filter((s) => 'expect' in s)).toEqual([{ expect: { layout: [{ at: 5, pages: 4, perms: 'rw-p', name: '' }] } }]);
  });
  it('writes a finding of record steps alone (a kernel report: no view to keep) as a valid case of one step', () => {
    // reuse-drops-reference: the splat came with the bare window; shrinking left only the `record: all` step.
    const base = recorded('s1-2', 2, 's1-2.612.txt');
    const out = regressionCase({ title: 't', window: 12, steps: [RECORD_ALL] }, base.compiled, base.record!, null);
    expect(out.steps).toEqual([{ expect: { vmas: 0 } }]);
    loadGenerated(caseText(out), 'finding.yaml', 'finding');
  });
});

describe('explore: fork-points, as added since the first count', () => {
  // s1-3 ran on 6.12 and on the fork-copies-names mutant (gate --explore, seed 1): the mutant copies the names of
  // the window reserve's pieces, so its every count is higher (31 → 33 at the first), and a map that splits the
  // reserve adds a named piece to copy.
  it('reads the first count of each process alike and finds the mutant where a step added a named VMA', () => {
    const [base, mutant] = [recorded('s1-3', 3, 's1-3.612.txt'), recorded('s1-3', 3, 's1-3.fork-copies-names.txt')];
    const counts = (o: typeof base.obs): string[] => o.steps.filter((st) => st.what.endsWith(' fork-points')).map((st) => st.lines[0]!);
    expect(counts(base.obs)).toEqual(['ret=first errno=0', 'ret=first+0 errno=0', expect.stringMatching(/^ret=first\+\d+ errno=0$/)]);
    expect(counts(mutant.obs).slice(0, 2)).toEqual(counts(base.obs).slice(0, 2));
    const [first] = differences(base.obs, mutant.obs);
    expect(first?.what).toBe('steps[6] fork-points');
    const added = (line: string | null | undefined): number => Number(/first\+(\d+)/.exec(line ?? '')?.[1]);
    expect(added(first?.change) - added(first?.base)).toBe(1);
    // As a case: the count before saved, and the base's points added since.
    const parsed = parse(text('s1-3.yaml')) as RawCase;
    const out = regressionCase(parsed, base.compiled, base.record!, { step: first!.step!, line: first!.base });
    expect(out.steps.filter((st) => 'expect' in st)).toEqual([{ expect: { fork_points: { save: 'before' } } }, { expect: { fork_points: { since: 'before', added: added(first?.base) } } }]);
    loadGenerated(caseText(out), 'finding.yaml', 'finding');
  });
});

describe('explore: a broken case read twice', () => {
  // s300-198 ran on 6.12 twice: the parent broke at a step (its complaint first), then its child, waiting at a
  // sync point, either read EOF and complained too or was killed by PDEATHSIG first: the streams' complaints differ.
  it('compares the first complaint only: the others follow from it and race', () => {
    const [a, b] = [recorded('s300-198', 198, 's300-198.612.txt'), recorded('s300-198', 198, 's300-198.612-again.txt')];
    // The plan compiled now is the one that ran: its steps up to the break have their records.
    expect(a.obs.steps.filter((st) => st.lines[0] !== 'not run').length).toBeGreaterThan(100);
    expect(a.record?.broken.length).toBe(2);
    expect(b.record?.broken.length).toBe(1);
    expect(a.obs.broken).toEqual(b.obs.broken);
    expect(differences(a.obs, b.obs)).toEqual([]);
  });
});
