// Heap and stack pages (`target: heap | stack`, `below`, `special.grown`; runner/cases/area.ts):
// what the validator makes of them, the diagnostics of their mistakes, the plan ops they compile
// to, the `Z` records, and the judge of `grown` and of a heap or stack smaps item.
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { compileCase } from '../../runner/plan/compile.js';
import { serializePlan } from '../../runner/plan/plan.js';
import { parseResultStream } from '../../runner/results/stream.js';
import { judgeCase } from '../../runner/verdict/judge.js';

const FILE = 'cases/x/area.yaml';

function parse(steps: string): { c: Case | null; errors: string[] } {
  const r = parseCase(`title: t\nsteps:\n${steps}`, FILE, 'x/area');
  return { c: r.case, errors: r.diagnostics.map((d) => formatDiagnostic(d, { excerpt: false })) };
}
const errorsOf = (steps: string): string[] => parse(steps).errors;
function valid(steps: string): Case {
  const { c, errors } = parse(steps);
  expect(errors).toEqual([]);
  if (!c) throw new Error('no case');
  return c;
}

const CASE = [
  '  - brk: { grow: 4 }',
  '  - touch: { target: heap, page: 1, pages: 2 }',
  '  - touch: { target: stack, below: 3, pages: 2, access: read }',
  '  - expect:',
  '      special: [ { target: stack, grown: 3 }, { target: heap, vmas: 1 } ]',
  '      smaps: [ { target: heap, Rss: 8 }, { target: stack, VmFlags: { has: [gd] } } ]',
  '      pagemap: [ { target: heap, present: true }, { target: stack, page: 1, pages: 2, present: false } ]',
  '',
].join('\n');

describe('heap and stack pages: validation', () => {
  it('reads touch, smaps, pagemap with target and special grown', () => {
    const c = valid(CASE);
    expect(c.steps[1]).toMatchObject({ kind: 'touch', range: { area: 'heap', first: 1, pages: 2 }, access: 'w' });
    expect(c.steps[2]).toMatchObject({ kind: 'touch', range: { area: 'stack', first: -3, pages: 2 }, access: 'r' });
    const e = c.steps[3];
    if (e?.kind !== 'expect') throw new Error('not an expect step');
    expect(e.expect.special?.[0]).toMatchObject({ target: 'stack', grown: 3 });
    expect(e.expect.observe?.smaps?.map((s) => ('area' in s ? s.area : null))).toEqual(['heap', 'stack']);
    // The heap's pages default to the whole heap; the stack's to one.
    expect(e.expect.observe?.pagemap?.map((p) => p.range)).toEqual([
      { area: 'heap', first: 0, pages: 4 },
      { area: 'stack', first: 1, pages: 2 },
    ]);
  });

  it('follows the heap through brk steps; a fork child moves only its own break', () => {
    valid('  - brk: { grow: 4 }\n  - brk: { shrink: 1 }\n  - touch: { target: heap, page: 2 }\n');
    expect(errorsOf('  - brk: { grow: 4 }\n  - brk: { shrink: 1 }\n  - touch: { target: heap, page: 3 }\n')).toEqual([
      'cases/x/area.yaml:5:34: steps[2].touch.page: heap pages 3..3 run past the heap (3 pages after the brk steps so far)',
    ]);
    // Past the break a touch faults: it may say so.
    valid('  - brk: { grow: 1 }\n  - touch: { target: heap, page: 1, errno: EFAULT }\n');
    expect(errorsOf('  - fork:\n      child: [ { brk: { grow: 2 } } ]\n  - touch: { target: heap }\n')).toEqual([
      'cases/x/area.yaml:5:22: steps[1].touch.target: the heap does not exist until brk grows it; add a step brk: { grow: 1 } before this one',
    ]);
  });

  it('reports the mistakes at their keys, with what is allowed', () => {
    expect(
      errorsOf(
        [
          '  - map: { id: a, at: 2, pages: 1 }',
          '  - touch: { target: stack, region: a }',
          '  - touch: { target: heap, below: 1, errno: EFAULT }',
          '  - touch: { target: stack, below: 2, page: 1 }',
          '  - touch: { region: a, below: 1 }',
          '  - touch: { target: data }',
          '  - touch: { target: stack, below: 0 }',
          '  - expect: { pagemap: [ { at: 2, below: 1, present: true } ], special: [ { target: vdso, grown: 1 } ] }',
          '  - expect: { smaps: [ { target: stack, page: 1, Rss: 4 } ] }',
          '  - expect: { smaps: [ { target: heap, Rss: 4 } ] }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'cases/x/area.yaml:4:29: steps[1].touch.region: give region, at or target, not two',
      'cases/x/area.yaml:5:28: steps[2].touch.below: below is for the stack, which grows down; the heap grows up with brk: { grow }',
      'cases/x/area.yaml:6:29: steps[3].touch.below: give page or below, not both',
      'cases/x/area.yaml:7:25: steps[4].touch.below: below counts pages below the stack: give target: stack',
      'cases/x/area.yaml:8:22: steps[5].touch.target: invalid value "data"; allowed: heap, stack',
      'cases/x/area.yaml:9:36: steps[6].touch.below: expected an integer from 1 to 1048576 (pages below the stack as first seen), got integer 0',
      'cases/x/area.yaml:10:35: steps[7].expect.pagemap[0].below: below counts pages below the stack: give target: stack',
      'cases/x/area.yaml:10:98: steps[7].expect.special[0].grown: grown is for the areas that grow: heap, stack',
      'cases/x/area.yaml:11:41: steps[8].expect.smaps[0].page: target stack selects the VMA holding the heap\'s first page or the top page of [stack]; drop page',
      'cases/x/area.yaml:12:34: steps[9].expect.smaps[0].target: the heap does not exist until brk grows it; add a step brk: { grow: 1 } before this one',
    ]);
  });
});

describe('heap and stack pages: plan and judge', () => {
  const compiled = () => compileCase(valid(CASE), 0);

  it('compiles to touch-target, smaps-area and pagemap-area ops', () => {
    const text = serializePlan(compiled().plan).split('\n');
    expect(text.filter((l) => /touch-target|-area/.test(l))).toEqual([
      '1 touch-target heap 1 2 w 165',
      '2 touch-target stack -3 2 r 165',
      '6 smaps-area heap',
      '7 smaps-area stack',
      '8 pagemap-area heap 0 4',
      '9 pagemap-area stack 1 2',
    ]);
  });

  /** A maps line: the name at byte 73. */
  const maps = (range: string, perms: string, name: string): string => `${range} ${perms} 00000000 00:00 0`.padEnd(73) + name;
  /** A stream of the case with the stack first seen at [lo, lo + 33 pages) and the stack VMA now `stackNow`. */
  function stream(stackNow: string, z = true): string {
    const lo = 0x7ffd0000n;
    const hex = (n: bigint): string => n.toString(16);
    const page = (n: number): string => `${n} ${(1n << 63n).toString(16)}`;
    return [
      'vmaspec-results 1',
      'T 0 begin 0',
      'W 200000001000 32 4096 1',
      ...(z ? ['Z heap 4c5000 4c5000', `Z stack ${hex(lo)} ${hex(lo + 33n * 4096n)}`] : []),
      'S 0 0 0',
      'S 1 0 0',
      'S 2 0 0',
      `M 3 ${maps('200000000000-200000022000', '---p', '[anon:vmaspec:window]')}`,
      'S 3 0 0',
      `M 4 ${stackNow}`,
      'S 4 0 0',
      `M 5 ${maps('004c5000-004c9000', 'rw-p', '[heap]')}`,
      'S 5 0 0',
      `A 6 ${maps('004c5000-004c9000', 'rw-p', '[heap]')}`,
      'A 6 Rss:                   4 kB',
      'S 6 0 0',
      `A 7 ${stackNow}`,
      'A 7 VmFlags: rd wr mr mw me gd ac ',
      'S 7 0 0',
      ...[0, 1, 2, 3].map((i) => `P 8 ${page(i)}`),
      'S 8 0 0',
      'P 9 1 0',
      'P 9 2 0',
      'S 9 0 0',
      'T 0 end exit:0 0 1000',
      '',
    ].join('\n');
  }
  const grownBy3 = maps('7ffcd000-7fff1000', 'rw-p', '[stack]');

  it('reads the Z records', () => {
    const rec = parseResultStream(stream(grownBy3)).cases[0];
    expect(rec?.firstLook?.get('stack')).toEqual({ lo: 0x7ffd0000n, hi: 0x7ffd0000n + 33n * 4096n });
    expect(rec?.firstLook?.get('heap')).toEqual({ lo: 0x4c5000n, hi: 0x4c5000n });
  });

  it('judges grown from the first look, and the heap block', () => {
    const c = valid(CASE);
    const pass = judgeCase(compiled(), c, parseResultStream(stream(grownBy3)).cases[0]);
    expect(pass.failures.map((f) => f.message)).toEqual(['steps[3].expect.smaps[0].Rss (parent): heap VMA 0x4c5000-0x4c9000 rw-p [heap]: Rss: expected 8 kB, got 4 kB']);
    const grownBy2 = maps('7ffce000-7fff1000', 'rw-p', '[stack]');
    const fail = judgeCase(compiled(), c, parseResultStream(stream(grownBy2)).cases[0]);
    expect(fail.failures.map((f) => f.message)).toContain(
      'steps[3].expect.special[0].grown (parent): expected 3 pages grown, got 2 (33 at the first look) (stack: 0x7ffce000 rw-p 35 pages [stack])',
    );
    const noZ = judgeCase(compiled(), c, parseResultStream(stream(grownBy3, false)).cases[0]);
    expect(noZ.verdict).toBe('broken');
  });
});
