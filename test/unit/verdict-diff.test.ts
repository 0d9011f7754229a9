import { describe, expect, it } from 'vitest';
import { parseResultStream } from '../../runner/results/stream.js';
import { formatLayoutDiff } from '../../runner/verdict/diff.js';
import { judgeCase } from '../../runner/verdict/judge.js';
import { alignLayout } from '../../runner/verdict/layout.js';
import type { Failure } from '../../runner/verdict/types.js';
import { fixture, forkCase, s1Case } from '../fixtures/plans.js';

const { c, compiled } = s1Case();
const failing = judgeCase(compiled, c, parseResultStream(fixture('streams/pass-fail-crash.txt')).cases[1]);
const nameFailure = failing.failures.find((f) => f.field === 'name') as Failure;

describe('formatLayoutDiff', () => {
  const ctx = nameFailure.layout;
  if (!ctx) throw new Error('no layout context');
  const text = formatLayoutDiff(ctx);
  const rows = text.split('\n');

  it('shows both sides and marks the differing row with the field', () => {
    expect(rows[0]).toMatch(/expected\s+actual/);
    const bad = rows.find((r) => r.includes('[anon:mid]')) ?? '';
    expect(bad).toMatch(/^ +- +1: +1 \+1 +rw-p \[anon:mid\] +\+ +1: +1 \+1 +rw-p +<- name$/);
    expect(rows.filter((r) => /^\s+-/.test(r))).toHaveLength(1);
    expect(rows.filter((r) => r.includes('<-'))).toHaveLength(1);
  });

  it('leaves equal rows unmarked', () => {
    expect(rows.find((r) => r.includes('0:'))).not.toMatch(/[-+] /);
  });

  it('colours only when asked', () => {
    expect(text).not.toContain('\x1b[');
    expect(formatLayoutDiff(ctx, { color: true })).toContain('\x1b[31m- ');
  });

  it('indents and can list the raw maps lines', () => {
    const raw = formatLayoutDiff(ctx, { indent: '>>', raw: true });
    expect(raw.split('\n').every((l) => l.startsWith('>>'))).toBe(true);
    expect(raw).toContain('200000002000-200000003000 rw-p 00000000 00:00 0 ');
  });

  it('shows missing VMAs and omitted fields', () => {
    const f = forkCase();
    const r = parseResultStream(fixture('streams/fork.txt')).cases[0];
    if (!r) throw new Error('no case');
    const snap = r.steps.get(6);
    if (!snap) throw new Error('no step 6');
    r.steps.set(6, { ...snap, maps: snap.maps.filter((l) => !l.includes('[anon:b]')) });
    const v = judgeCase(f.compiled, f.c, r);
    const miss = v.failures.find((x) => x.field === 'vma');
    expect(miss?.message).toBe('steps[2].fork.child[2].expect.layout (child): VMA 1 at page 2 (0x200000003000) missing: no VMA starts there');
    const t = formatLayoutDiff(miss?.layout ?? ctx);
    expect(t).toMatch(/- +1: +2 \+1 +\* +\[anon:b\] +<- missing/);
    expect(t).toContain('(*: not compared)');
  });
});

describe('alignLayout', () => {
  it('pairs by first page: a merge shows as a size change plus missing VMAs', () => {
    const pos = { file: 'x', line: 1, col: 1 };
    const exp = [0, 1, 2].map((at) => ({ at, pages: 1, index: at, pos }));
    const act = [{ at: 0, pages: 3, perms: 'rw-p', name: '', address: '0x0', line: '' }];
    expect(alignLayout(exp, act).map((r) => [r.expected?.index ?? null, r.actual?.index ?? null, r.differs])).toEqual([
      [0, 0, ['pages']],
      [1, null, ['vma']],
      [2, null, ['vma']],
    ]);
  });
});
