// Judging the added steps against a result stream captured from the real 6.12 guest
// (test/fixtures/streams/steps.txt: the five cases of test/fixtures/steps-cases/, in
// this order, run with `vmaspec run`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { compileCase } from '../../runner/plan/compile.js';
import { parseResultStream } from '../../runner/results/stream.js';
import type { CaseRecord } from '../../runner/results/types.js';
import { judgeCase } from '../../runner/verdict/judge.js';
import { specialVmas } from '../../runner/verdict/special.js';

const read = (rel: string): string => readFileSync(new URL(`../fixtures/${rel}`, import.meta.url), 'utf8');
const NAMES = [
  'files_r10b-memfd-named-as-anon-shmem',
  'process-madvise_pm1-cold-on-the-child',
  'special_f5-stack-bottom-page',
  'special_s15-named-heap-grows-into-second-vma',
  'sysctl_s18-max-map-count',
];
const stream = parseResultStream(read('streams/steps.txt'));

function load(i: number, edit: (text: string) => string = (t) => t): { c: Case; record: CaseRecord } {
  const name = NAMES[i] ?? '';
  const r = parseCase(edit(read(`steps-cases/${name}.yaml`)), `${name}.yaml`, name);
  const record = stream.cases[i];
  if (!r.case || !record) throw new Error(`fixture ${name}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return { c: r.case, record };
}

const judge = (i: number, edit?: (text: string) => string) => {
  const { c, record } = load(i, edit);
  return judgeCase(compileCase(c, i), c, record);
};

describe('the captured guest run', () => {
  it('is complete and every case passes as written', () => {
    expect(stream.complete).toBe(true);
    expect(stream.garbage).toEqual([]);
    NAMES.forEach((_, i) => expect(judge(i).failures, NAMES[i]).toEqual([]));
  });
});

describe('expect.special', () => {
  it('reads the VMAs of an area from its maps lines', () => {
    const rec = stream.cases[2]?.steps.get(5);
    const window = stream.cases[2]?.window;
    if (!rec || !window) throw new Error('no record');
    expect(specialVmas(rec.maps, 'stack', window)).toEqual([
      { name: '[anon:x]', perms: 'rw-p', pages: 1, address: '0x7ffce2aa3000' },
      { name: '[stack]', perms: 'rw-p', pages: 32, address: '0x7ffce2aa4000' },
    ]);
  });

  it('fails on a count, name, perms or size that differ, naming the entry, the VMA and the field', () => {
    const v = judge(2, (t) => t.replace('names: ["[anon:x]", "[stack]"], perms: [rw-p, rw-p]', 'names: ["[stack]", "[stack]"], perms: [rw-p, r--p]'));
    expect(v.verdict).toBe('fail');
    expect(v.failures.map((f) => [f.kind, f.path, f.field, f.expected, f.actual])).toEqual([
      ['special', 'steps[3].expect.special[0].names[0]', 'name', '[stack]', '[anon:x]'],
      ['special', 'steps[3].expect.special[0].perms[1]', 'perms', 'r--p', 'rw-p'],
    ]);
    expect(v.failures[0]?.message).toBe(
      'steps[3].expect.special[0] (parent): VMA 0 (0x7ffce2aa3000): name: expected "[stack]", got "[anon:x]" (stack: 0x7ffce2aa3000 rw-p 1 page [anon:x], 0x7ffce2aa4000 rw-p 32 pages [stack])',
    );
    // at the entry: line 12, `- { target: stack, … }`
    expect(v.failures.map((f) => f.pos)).toEqual([1, 2].map(() => ({ file: `${NAMES[2]}.yaml`, line: 12, col: 11 })));
    const heap = judge(3, (t) => t.replace('vmas: 2, names: ["[heap]", "[heap]"], pages: [1, 2]', 'vmas: 1, pages: [3]'));
    expect(heap.failures.map((f) => [f.path, f.expected, f.actual])).toEqual([['steps[4].expect.special[0].vmas', 1, 2]]);
    expect(heap.failures[0]?.message).toBe(
      'steps[4].expect.special[0].vmas (parent): expected 1 VMA, got 2 (heap: 0x10cc5000 rw-p 1 page [heap], 0x10cc6000 rw-p 2 pages [heap])',
    );
  });

  it('reads the child window without the reserve, as layouts do', () => {
    const v = judge(1, (t) => t.replace('{ target: child, vmas: 2, names: ["[anon:a]", ""], pages: [2, 1], perms: [rw-p, rw-p] }', '{ target: child, names: ["[anon:b]", ""], pages: [2, 2] }'));
    expect(v.failures.map((f) => `${f.path} ${f.proc} ${String(f.expected)} ${String(f.actual)}`)).toEqual([
      'steps[4].fork.parent[3].expect.special[0].names[0] parent [anon:b] [anon:a]',
      'steps[4].fork.parent[3].expect.special[0].pages[1] parent 2 1',
    ]);
  });
});

describe('ret', () => {
  it('checks the return value of a successful process_madvise', () => {
    const v = judge(1, (t) => t.replace('advice: cold, ret: 8192', 'advice: cold, ret: 4096'));
    expect(v.verdict).toBe('fail');
    expect(v.failures).toHaveLength(1);
    expect(v.failures[0]).toMatchObject({ kind: 'outcome', path: 'steps[4].fork.parent[0].process_madvise.ret', expected: 4096, actual: 8192 });
    expect(v.failures[0]?.message).toBe('steps[4].fork.parent[0].process_madvise.ret (parent): expected 4096, got 8192');
  });

  it('an unexpected errno of a sysctl-limited rename fails the errno, not the layout', () => {
    const v = judge(4, (t) => t.replace('name: x, errno: EAGAIN', 'name: x'));
    expect(v.failures.map((f) => f.message)).toEqual(['steps[3].name (parent): expected success, got EAGAIN (11)']);
  });
});
