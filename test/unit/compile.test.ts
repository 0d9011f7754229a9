import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCases, parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { compileCase } from '../../runner/plan/compile.js';
import type { CompiledStep } from '../../runner/plan/compiled.js';
import { manifestLine, serializePlan } from '../../runner/plan/plan.js';

const casesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cases');

async function load(id: string): Promise<Case> {
  const [c] = await loadCases(casesDir, [path.join(casesDir, `${id}.yaml`)]);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}

describe('compileCase', () => {
  it('compiles a fork case: fork, child ops, parent, parent ops, wait', async () => {
    const compiled = compileCase(await load('fork/k2-child-rename-leaves-parent'), 4);
    expect(serializePlan(compiled.plan)).toBe(
      [
        'vmaspec-plan 1',
        'window 32',
        '0 map 2 3 rw- private -',
        '1 name 8192 12288 hex:61 0 0',
        '2 touch 2 3 w 165',
        '3 fork',
        '4 name 12288 4096 hex:63 0 0',
        '5 snapshot',
        '6 parent',
        '7 snapshot',
        '8 wait',
        '9 snapshot',
        '',
      ].join('\n'),
    );
    expect(manifestLine(compiled.plan)).toBe('4 10000 /vmaspec/cases/4.plan');
    const origins = compiled.steps.map(({ op, origin, check }) => `${op.step} ${origin.proc} ${origin.path} ${origin.step.kind} ${check.kind}`);
    expect(origins).toEqual([
      '0 parent steps[0] map outcome',
      '1 parent steps[1] name outcome',
      '2 parent steps[2] touch outcome',
      '3 parent steps[3] fork fork',
      '4 child steps[3].fork.child[0] name outcome',
      '5 child steps[3].fork.child[1] expect snapshot',
      '6 child steps[3].fork.parent fork fork',
      '7 parent steps[3].fork.parent[0] expect snapshot',
      '8 parent steps[3] fork wait',
      '9 parent steps[4] expect snapshot',
    ]);
    expect(compiled.plan.ops).toEqual(compiled.steps.map((s) => s.op));
  });

  it('names nested fork processes child.child', async () => {
    const compiled = compileCase(await load('fork/k2-grandchild'), 0);
    const ops = compiled.steps.map(({ op, origin }) => `${op.step} ${op.op} ${origin.proc}`);
    expect(ops).toEqual([
      '0 map parent',
      '1 name parent',
      '2 fork parent',
      '3 name child',
      '4 fork child',
      '5 snapshot child.child',
      '6 name child.child',
      '7 snapshot child.child',
      '8 parent child.child',
      '9 snapshot child',
      '10 wait child',
      '11 parent child',
      '12 snapshot parent',
      '13 wait parent',
    ]);
  });

  it('compiles naming steps to byte ranges, null and hex names', async () => {
    const plan = compileCase(await load('errors/r6-misaligned-start'), 1).plan;
    expect(serializePlan(plan)).toBe(
      [
        'vmaspec-plan 1',
        'window 32',
        '0 map 2 2 rw- private -',
        '1 name 8193 4096 hex:78 0 0',
        '2 name 10240 4096 hex:78 0 0',
        '3 name 8193 0 hex:78 0 0',
        '4 snapshot',
        '',
      ].join('\n'),
    );
    const s6 = compileCase(await load('naming/s6-empty-name'), 2).plan;
    expect(serializePlan(s6).split('\n').slice(2, 5)).toEqual(['0 map 2 3 rw- private -', '1 name 12288 4096 hex: 0 0', '2 snapshot']);
    expect(serializePlan(s6)).toContain('\n5 name 12288 4096 null 0 0\n');
  });

  it('compiles map flags, prot and sharing, and takes the page size as a parameter', () => {
    const { case: c } = parseCase(
      `title: t
window: 8
timeout: 1.5
steps:
  - map: { id: a, at: 1, pages: 2, prot: none, shared: true, growsdown: true, noreserve: true }
  - mprotect: { region: a, prot: rx }
  - name: { region: a, page: 1, offset: 3, len: 5, name: "x y" }
  - name: { region: a, name: { hex: "80ff" } }
  - unmap: { region: a }
`,
      't.yaml',
      't',
    );
    if (!c) throw new Error('invalid');
    expect(serializePlan(compileCase(c, 0).plan)).toBe(
      [
        'vmaspec-plan 1',
        'window 8',
        '0 map 1 2 --- shared noreserve,growsdown',
        '1 mprotect 1 2 r-x',
        '2 name 8195 5 hex:782079 0 0',
        '3 name 4096 8192 hex:80ff 0 0',
        '4 unmap 1 2',
        '',
      ].join('\n'),
    );
    const big = compileCase(c, 0, 16384).plan;
    expect(big.timeoutMs).toBe(1500);
    expect(big.ops.filter((o) => o.op === 'name').map((o) => (o.op === 'name' ? [o.start, o.len] : []))).toEqual([
      [32771, 5],
      [16384, 32768],
    ]);
  });

  it('hands the judge the check of each plan step: the expectation itself, its key path and its position', () => {
    const text = [
      'title: t',
      'window: 16',
      'steps:',
      '  - map: { id: a, at: 2, pages: 4 }',
      '  - name: { region: a, name: x, fail_nth: 2, errno: ENOMEM }',
      '  - expect:',
      '      vmas: 1',
      '      layout: [ { region: a, name: "" } ]',
      '      contains: [ { region: a } ]',
      '      maps_line: [ { region: a, line: "x" }, { region: a, page: 1, line: "y" } ]',
      '      special: [ { target: stack, vmas: 1 } ]',
      '      smaps: [ { region: a, Rss: 0 } ]',
      '      smaps_fields: [Size, Rss]',
      '      rollup: { fields: [Rss] }',
      '      query: [ { region: a }, { at: 0, file: smaps, errno: ENOTTY } ]',
      '      map_files: [ { region: a, present: true } ]',
      '      pagemap: [ { region: a, present: false } ]',
      '',
    ].join('\n');
    const { case: c } = parseCase(text, 'cases/x/t.yaml', 'x/t');
    if (!c) throw new Error('invalid');
    const at = (p: { pos: { line: number; col: number } }): string => `${p.pos.line}:${p.pos.col}`;
    const shown = ({ op, check }: CompiledStep): string[] => {
      switch (check.kind) {
        case 'snapshot':
          return check.checks.map((k) => `${op.step} ${op.op} ${k.kind} ${k.path} ${at(k)}`);
        case 'smaps':
          return [...check.items, ...(check.fields ? [check.fields] : [])].map((k) => `${op.step} ${op.op} ${k.path} ${at(k)}`);
        case 'outcome':
          return [`${op.step} ${op.op} ${check.path} ${at(check)} ${check.expect.errno} lands:${check.landsAt} ${check.failNth ? `${check.failNth.path}=${check.failNth.expect}` : '-'}`];
        case 'fork':
        case 'wait':
          return [`${op.step} ${op.op}`];
        default:
          return [`${op.step} ${op.op} ${check.kind} ${check.path} ${at(check)}`];
      }
    };
    const compiled = compileCase(c, 0);
    expect(compiled.steps.flatMap(shown)).toEqual([
      '0 map steps[0].map 4:5 null lands:2 -',
      '1 name steps[1].name 5:5 ENOMEM lands:null steps[1].name.fail_nth=2',
      '2 snapshot reserve steps[2].expect 6:5',
      '2 snapshot vmas steps[2].expect.vmas 6:5',
      '2 snapshot layout steps[2].expect.layout 6:5',
      '2 snapshot contains steps[2].expect.contains 6:5',
      '2 snapshot maps_line steps[2].expect.maps_line[0] 10:20',
      '2 snapshot maps_line steps[2].expect.maps_line[1] 10:46',
      '3 special special steps[2].expect.special[0] 11:18',
      '4 smaps steps[2].expect.smaps[0] 12:16',
      '4 smaps steps[2].expect.smaps_fields 13:21',
      '5 rollup rollup steps[2].expect.rollup 14:15',
      '6 query query steps[2].expect.query[0] 15:16',
      '7 query query steps[2].expect.query[1] 15:31',
      '8 mapfile map_files steps[2].expect.map_files[0] 16:20',
      '9 pagemap pagemap steps[2].expect.pagemap[0] 17:18',
    ]);
    // The checks carry the case model's expectations themselves, not indices into it.
    const step = c.steps[2];
    if (step?.kind !== 'expect') throw new Error('not an expect step');
    const o = step.expect.observe;
    const check = (n: number) => compiled.steps[n]?.check;
    expect(check(3)).toMatchObject({ expect: step.expect.special?.[0] });
    expect(check(7)).toMatchObject({ expect: o?.query?.[1] });
    expect(check(8)).toMatchObject({ expect: o?.mapFiles?.[0] });
    expect(check(9)).toMatchObject({ expect: o?.pagemap?.[0] });
    expect(compiled.plan.ops).toEqual(compiled.steps.map((s) => s.op));
  });
});

describe('guard pages a name step reached', () => {
  it('are handed to the later snapshots of that process and of children forked after it', () => {
    const r = parseCase(
      [
        'title: t',
        'steps:',
        '  - expect: { vmas: 0 }',
        '  - fork:',
        '      child:',
        '        - name: { at: -2, pages: 2, name: s, errno: ENOMEM }',
        '        - expect: { vmas: 0 }',
        '  - name: { at: 31, pages: 3, name: e, errno: ENOMEM }',
        '  - fork:',
        '      child:',
        '        - expect: { vmas: 0 }',
        '  - expect: { vmas: 0 }',
        '',
      ].join('\n'),
      'cases/x/guards.yaml',
      'x/guards',
    );
    if (!r.case) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    const reached = compileCase(r.case, 0).steps.flatMap((s) => (s.check.kind === 'snapshot' ? [[s.origin.proc, s.check.reached]] : []));
    expect(reached).toEqual([
      ['parent', []],
      ['child', [-1]],
      ['child', [32]],
      ['parent', [32]],
    ]);
  });
});
