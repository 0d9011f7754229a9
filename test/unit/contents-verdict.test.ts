// Memory contents and holes judged on the real guest stream (streams/contents.txt): the fixture
// cases pass as written, and an edited expectation fails naming the page, what was expected and
// what the kernel gave.
import { describe, expect, it } from 'vitest';
import { ObservationError, obsTexts } from '../../runner/results/observe.js';
import { parsePeek } from '../../runner/results/peek.js';
import { judgeCase } from '../../runner/verdict/judge.js';
import type { Failure } from '../../runner/verdict/types.js';
import { contents } from '../fixtures/contents.js';

/** The failures of a fixture case after replacing `from` (which must occur `nth` time, from 0) in its text. */
function failuresAfter(id: string, from: string, to: string, nth = 0): Failure[] {
  const { c, compiled, record } = contents.load(id, (s) => {
    const parts = s.split(from);
    if (parts.length < nth + 2) throw new Error(`${JSON.stringify(from)} is not in ${id} ${nth + 1} times`);
    return parts.slice(0, nth + 1).join(from) + to + parts.slice(nth + 1).join(from);
  });
  const v = judgeCase(compiled, c, record);
  expect(v.verdict).toBe('fail');
  return v.failures;
}

const messages = (fs: Failure[]): string[] => fs.map((f) => f.message);

describe('the fixture cases, judged against what the kernel reported', () => {
  it.each(contents.ids)('%s passes', (id) => {
    const { c, compiled, record } = contents.load(id);
    const v = judgeCase(compiled, c, record);
    expect(v.failures).toEqual([]);
    expect(v.verdict).toBe('pass');
  });
});

describe('expect.data', () => {
  it('names the page of the region, the byte expected and the byte or fault read, in the process that read it', () => {
    const fs = failuresAfter('contents/d-fork-contents', '{ region: d, bytes: [20, fault, 22] }', '{ region: d, bytes: [20, 21, 23] }');
    expect(fs.map((f) => [f.kind, f.path, f.proc, f.expected, f.actual])).toEqual([
      ['data', 'steps[12].fork.child[0].expect.data[1].bytes', 'child', '21', 'fault'],
      ['data', 'steps[12].fork.child[0].expect.data[1].bytes', 'child', '23', '22'],
    ]);
    expect(messages(fs)).toEqual([
      'steps[12].fork.child[0].expect.data[1].bytes (child): page 1 of d (window page 7): expected byte 21, got a fault',
      'steps[12].fork.child[0].expect.data[1].bytes (child): page 2 of d (window page 8): expected byte 23, got byte 22',
    ]);
    expect(fs[0]?.pos).toMatchObject({ file: 'cases/contents/d-fork-contents.yaml', line: 24 });
  });

  it('one value for every page, and window pages without a region', () => {
    expect(messages(failuresAfter('contents/d-fork-contents', '{ region: w, bytes: 0 }', '{ region: w, bytes: 10 }'))).toEqual([
      'steps[12].fork.child[0].expect.data[0].bytes (child): page 0 of w (window page 2): expected byte 10, got byte 0',
      'steps[12].fork.child[0].expect.data[0].bytes (child): page 1 of w (window page 3): expected byte 10, got byte 0',
    ]);
    expect(messages(failuresAfter('contents/d4-d5-dontneed-untouched', '{ at: 15, pages: 1, bytes: fault }', '{ at: 15, pages: 1, bytes: 0 }'))).toEqual([
      'steps[15].expect.data[1].bytes (parent): page 15: expected byte 0, got a fault',
    ]);
  });

  it('reads the R records of its peek op; records that do not cover its pages are a harness fault', () => {
    const rec = contents.step('contents/d-fork-contents', 'peek', 1);
    expect(parsePeek(obsTexts(rec.obs, 'R'))).toEqual([
      { page: 6, byte: 20 },
      { page: 7, byte: null },
      { page: 8, byte: 22 },
    ]);
    expect(() => parsePeek(['6 256'])).toThrow(ObservationError);
    expect(() => parsePeek(['6 x'])).toThrow('bad peek record (expected `<page> <byte 0..255 or -1>`): "6 x"');
    const { c, compiled, record } = contents.load('contents/d-fork-contents');
    const peek = compiled.plan.ops.filter((o) => o.op === 'peek')[1];
    const step = peek && record.steps.get(peek.step);
    if (!step) throw new Error('no second peek');
    record.steps.set(step.step, { ...step, obs: step.obs?.slice(0, 2) });
    const v = judgeCase(compiled, c, record);
    expect(v.verdict).toBe('broken');
    expect(messages(v.failures)).toEqual([`steps[12].fork.child[0] (child) plan step ${step.step} peek: R records for pages 6 7; expected one for each of pages 6-8`]);
  });
});

describe('holes and reserve ranges', () => {
  it('a hole where the reserve is, and the reserve where a hole is, each named with what is there', () => {
    const id = 'errors/r21-reserve-versus-hole';
    expect(messages(failuresAfter(id, '{ at: 4, pages: 2, reserve: true }', '{ at: 4, pages: 2, hole: true }'))).toEqual([
      'steps[2].expect.layout[1] (parent): pages 4-5 should be a hole (no VMA); the window reserve holds them (---p [anon:vmaspec:window])',
    ]);
    const fs = failuresAfter(id, '{ region: a, name: "[anon:h]" }\n        - { at: 4, pages: 2, hole: true }', '{ at: 3, pages: 3, reserve: true }');
    expect(fs.filter((f) => f.path === 'steps[8].expect.layout[0]').map((f) => [f.kind, f.expected, f.actual])).toEqual([
      ['layout', '---p [anon:vmaspec:window]', 'rw-p [anon:h]'],
      ['layout', '---p [anon:vmaspec:window]', null],
    ]);
    expect(messages(fs).slice(-2)).toEqual([
      'steps[8].expect.layout[0] (parent): page 3 should be held by the window reserve (---p [anon:vmaspec:window]); the VMA at page 2 (0x200000003000, 2 pages, rw-p "[anon:h]") holds it',
      'steps[8].expect.layout[0] (parent): pages 4-5 should be held by the window reserve (---p [anon:vmaspec:window]); they are a hole: no VMA',
    ]);
    expect(fs.at(-1)?.details).toContain('200000003000-200000005000 rw-p 00000000 00:00 0                          [anon:h]');
  });

  it('a VMA after them keeps its place in the list as written', () => {
    const fs = failuresAfter('errors/r21-reserve-versus-hole', '        - { region: b }\n', '        - { region: b, perms: r--p }\n');
    expect(fs.map((f) => [f.path, f.message])).toEqual([
      ['steps[2].expect.layout[2].perms', 'steps[2].expect.layout (parent): VMA 2 at page 6 (0x200000007000): perms: expected "r--p", got "rw-p"'],
    ]);
  });

  it('a renamed piece of the reserve is not the reserve; a VMA over a hole entry is named', () => {
    const id = 'errors/r21-reserve-versus-hole';
    expect(messages(failuresAfter(id, '{ at: 8, pages: 6, perms: ---p, name: "[anon:q]" }', '{ at: 8, pages: 6, reserve: true }'))).toEqual([
      'steps[10].expect.layout (parent): expected 2 VMAs, got 3',
      'steps[10].expect.layout (parent): unexpected VMA at page 8 (0x200000009000): 6 pages ---p [anon:q]',
      'steps[10].expect.layout[3] (parent): pages 8-13 should be held by the window reserve (---p [anon:vmaspec:window]); the VMA at page 8 (0x200000009000, 6 pages, ---p "[anon:q]") holds them',
    ]);
    expect(messages(failuresAfter(id, '{ region: b, name: "[anon:h]" }', '{ region: b, hole: true }'))).toEqual([
      'steps[8].expect.layout (parent): expected 1 VMA, got 2',
      'steps[8].expect.layout (parent): unexpected VMA at page 6 (0x200000007000): 2 pages rw-p [anon:h]',
      'steps[8].expect.layout[2] (parent): pages 6-7 should be a hole (no VMA); the VMA at page 6 (0x200000007000, 2 pages, rw-p "[anon:h]") holds them',
    ]);
  });
});
