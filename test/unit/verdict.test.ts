import { describe, expect, it } from 'vitest';
import { parseResultStream } from '../../runner/results/stream.js';
import type { CaseRecord } from '../../runner/results/types.js';
import { judgeCase, skipVerdict } from '../../runner/verdict/judge.js';
import { fixture, forkCase, s1Case } from '../fixtures/plans.js';

const stream = parseResultStream(fixture('streams/pass-fail-crash.txt'));
const record = (i: number): CaseRecord => {
  const r = stream.cases[i];
  if (!r) throw new Error(`no case ${i}`);
  return r;
};
const clone = (r: CaseRecord, patch: Partial<CaseRecord>): CaseRecord => ({ ...r, steps: new Map(r.steps), ...patch });
const { c, compiled } = s1Case();

describe('judgeCase', () => {
  it('passes a case whose records match', () => {
    const v = judgeCase(compiled, c, record(0));
    expect(v.failures).toEqual([]);
    expect(v).toMatchObject({ verdict: 'pass', durationMs: 1.532, notes: [] });
  });

  it('fails on layout, count and errno differences, with paths, process, VMA and field', () => {
    const v = judgeCase(compiled, c, record(1));
    expect(v.verdict).toBe('fail');
    const by = (path: string) => v.failures.find((f) => f.path === path);
    expect(by('steps[2].expect.layout[1].name')).toMatchObject({
      kind: 'layout',
      proc: 'parent',
      step: 3,
      field: 'name',
      expected: '[anon:mid]',
      actual: '',
      vma: { side: 'expected', index: 1, at: 1, address: '0x200000002000' },
    });
    expect(by('steps[2].expect.layout[1].name')?.message).toBe(
      'steps[2].expect.layout (parent): VMA 1 at page 1 (0x200000002000): name: expected "[anon:mid]", got ""',
    );
    expect(by('steps[4].expect.vmas')).toMatchObject({ kind: 'vmas', expected: 1, actual: 3 });
    expect(by('steps[4].expect.vmas')?.message).toBe('steps[4].expect.vmas (parent): expected 1 VMA, got 3');
    expect(by('steps[5].name.errno')).toMatchObject({ kind: 'outcome', expected: 'EINVAL', actual: 'success', step: 6 });
    expect(by('steps[5].name.errno')?.message).toBe('steps[5].name.errno (parent): expected EINVAL (22), got success');
    expect(v.failures).toHaveLength(3);
    // each at its expectation: the layout entry, the expect step (vmas has no position of its own), the step
    expect(v.failures.map((f) => `${f.path} ${f.pos?.line}`)).toEqual(['steps[2].expect.layout[1].name 10', 'steps[4].expect.vmas 13', 'steps[5].name.errno 14']);
  });

  it('reports an unexpected errno by name', () => {
    const r = record(0);
    const steps = new Map(r.steps).set(2, { step: 2, ret: -1, errno: 12, maps: [] });
    const v = judgeCase(compiled, c, clone(r, { steps }));
    expect(v.verdict).toBe('fail');
    expect(v.failures[0]?.message).toBe('steps[1].name (parent): expected success, got ENOMEM (12)');
  });

  it('calls a case the guest died in crashed, and names the step it stopped at', () => {
    const v = judgeCase(compiled, c, record(2));
    expect(v.verdict).toBe('crashed');
    expect(v.durationMs).toBeNull();
    expect(v.failures[0]?.message).toMatch(/no end record/);
    expect(v.failures[1]).toMatchObject({ kind: 'harness', path: 'steps[2]', step: 3 });
    expect(v.failures[1]?.message).toBe('steps[2] (parent) plan step 3 snapshot: no result, the probe stopped before it (and 3 later steps)');
  });

  it('calls a case without a record crashed', () => {
    expect(judgeCase(compiled, c, undefined).verdict).toBe('crashed');
  });

  it('calls a timeout broken', () => {
    const v = judgeCase(compiled, c, clone(record(0), { end: { kind: 'timeout' }, durationUs: 5_000_300 }));
    expect(v.verdict).toBe('broken');
    expect(v.failures[0]?.message).toBe('timed out after 5000 ms (stopped at 5000 ms)');
  });

  it('calls B records, a probe exit code or signal broken', () => {
    const b = judgeCase(compiled, c, clone(record(0), { broken: ['window: mmap failed: EEXIST'] }));
    expect(b.verdict).toBe('broken');
    expect(b.failures.map((f) => f.message)).toEqual(['harness: window: mmap failed: EEXIST']);
    const sig = judgeCase(compiled, c, clone(record(0), { end: { kind: 'signal', signo: 11 } }));
    expect(sig.verdict).toBe('broken');
    expect(sig.failures[0]?.message).toBe('the probe was killed by signal 11 (SIGSEGV)');
    const code = judgeCase(compiled, c, clone(record(0), { end: { kind: 'exit', code: 2 } }));
    expect(code.failures[0]?.message).toBe('the probe exited with code 2');
  });

  it('calls a missing step record broken even when the probe exited 0', () => {
    const r = record(0);
    const steps = new Map(r.steps);
    steps.delete(6);
    const v = judgeCase(compiled, c, clone(r, { steps }));
    expect(v.verdict).toBe('broken');
    expect(v.failures[0]?.message).toMatch(/plan step 6 name: no result, the probe ended normally/);
  });

  it('calls a maps line off the format broken', () => {
    const r = record(0);
    const snap = r.steps.get(3);
    if (!snap) throw new Error('no step 3');
    const steps = new Map(r.steps).set(3, { ...snap, maps: [...snap.maps, 'nonsense'] });
    const v = judgeCase(compiled, c, clone(r, { steps }));
    expect(v.verdict).toBe('broken');
    expect(v.failures[0]?.message).toMatch(/plan step 3 snapshot: bad maps line/);
  });

  /** Case 0 with the snapshot of step 3 edited line by line, judged. */
  const judgeSnapshot = (edit: (line: string) => string) => {
    const r = record(0);
    const snap = r.steps.get(3);
    if (!snap) throw new Error('no step 3');
    return judgeCase(compiled, c, clone(r, { steps: new Map(r.steps).set(3, { ...snap, maps: snap.maps.map(edit) }) }));
  };

  it('judges a case VMA that got the reserve\'s name on its name (it used to vanish as "missing")', () => {
    const v = judgeSnapshot((l) => l.replace('[anon:mid]', '[anon:vmaspec:window]'));
    expect(v.verdict).toBe('fail');
    expect(v.failures.map((f) => f.message)).toEqual(['steps[2].expect.layout (parent): VMA 1 at page 1 (0x200000002000): name: expected "[anon:mid]", got "[anon:vmaspec:window]"']);
  });

  it('fails a step whose reserve guard page lost the reserve\'s name, and names what holds it', () => {
    const v = judgeSnapshot((l) => (l.startsWith('200000000000-') ? l.replace('[anon:vmaspec:window]', '[anon:mid]') : l));
    expect(v.verdict).toBe('fail');
    expect(v.failures).toHaveLength(1);
    expect(v.failures[0]).toMatchObject({ kind: 'reserve', path: 'steps[2].expect', proc: 'parent', step: 3, expected: '---p [anon:vmaspec:window]', actual: '---p [anon:mid]' });
    expect(v.failures[0]?.message).toBe(
      'steps[2].expect (parent): the window reserve\'s guard page -1 (0x200000000000) is not the reserve: expected ---p [anon:vmaspec:window], got ---p "[anon:mid]" in the VMA at page -1 (0x200000000000, 1 page)',
    );
    expect(v.failures[0]?.details).toHaveLength(5);
  });

  it('judges both processes of a fork and notes a taint change', () => {
    const f = forkCase();
    const r = parseResultStream(fixture('streams/fork.txt')).cases[0];
    const v = judgeCase(f.compiled, f.c, r);
    expect(v.failures).toEqual([]);
    expect(v.verdict).toBe('pass');
    expect(v.notes).toEqual(['kernel taint changed during the case: 0 -> 512 (W)']);
  });

  it('reports a failing child layout with proc child and a dead child as broken', () => {
    const f = forkCase();
    const r = parseResultStream(fixture('streams/fork.txt')).cases[0];
    if (!r) throw new Error('no case');
    const childSnap = r.steps.get(6);
    const wait = r.steps.get(9);
    if (!childSnap || !wait) throw new Error('no steps');
    const steps = new Map(r.steps)
      .set(6, { ...childSnap, maps: childSnap.maps.map((l) => l.replace('[anon:b]', '[anon:a]')) })
      .set(9, { ...wait, waitStatus: 139 });
    const v = judgeCase(f.compiled, f.c, { ...r, steps });
    expect(v.verdict).toBe('broken');
    expect(v.failures.find((x) => x.path === 'steps[2].fork.child[2].expect.layout[1].name')).toMatchObject({ proc: 'child', expected: '[anon:b]', actual: '[anon:a]' });
    expect(v.failures.some((x) => x.message.endsWith('the child was killed by signal 11 (SIGSEGV) (core dumped)'))).toBe(true);
  });

  it('makes skip verdicts', () => {
    expect(skipVerdict('CONFIG_ANON_VMA_NAME is not set')).toMatchObject({ verdict: 'skip', skipReason: 'CONFIG_ANON_VMA_NAME is not set' });
  });
});
