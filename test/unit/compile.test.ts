import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCases, parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { compileCase } from '../../runner/plan/compile.js';
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
        '1 name 8192 12288 hex:61 0',
        '2 touch 2 3 w',
        '3 fork',
        '4 name 12288 4096 hex:63 0',
        '5 snapshot',
        '6 parent',
        '7 snapshot',
        '8 wait',
        '9 snapshot',
        '',
      ].join('\n'),
    );
    expect(manifestLine(compiled.plan)).toBe('4 10000 /vmaspec/cases/4.plan');
    const origins = [...compiled.origins].map(([n, o]) => `${n} ${o.proc} ${o.path} ${o.step.kind}`);
    expect(origins).toEqual([
      '0 parent steps[0] map',
      '1 parent steps[1] name',
      '2 parent steps[2] touch',
      '3 parent steps[3] fork',
      '4 child steps[3].fork.child[0] name',
      '5 child steps[3].fork.child[1] expect',
      '6 child steps[3].fork.parent fork',
      '7 parent steps[3].fork.parent[0] expect',
      '8 parent steps[3] fork',
      '9 parent steps[4] expect',
    ]);
  });

  it('names nested fork processes child.child', async () => {
    const compiled = compileCase(await load('fork/k2-grandchild'), 0);
    const ops = compiled.plan.ops.map((o) => `${o.step} ${o.op} ${compiled.origins.get(o.step)?.proc}`);
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
        '1 name 8193 4096 hex:78 0',
        '2 name 10240 4096 hex:78 0',
        '3 name 8193 0 hex:78 0',
        '4 snapshot',
        '',
      ].join('\n'),
    );
    const s6 = compileCase(await load('naming/s6-empty-name'), 2).plan;
    expect(serializePlan(s6).split('\n').slice(2, 5)).toEqual(['0 map 2 3 rw- private -', '1 name 12288 4096 hex: 0', '2 snapshot']);
    expect(serializePlan(s6)).toContain('\n5 name 12288 4096 null 0\n');
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
        '2 name 8195 5 hex:782079 0',
        '3 name 4096 8192 hex:80ff 0',
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
});
