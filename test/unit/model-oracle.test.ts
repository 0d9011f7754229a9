// The model oracle's contract (runner/explore/oracle.ts): raw expect values per top-level step,
// nothing for a kernel it has no facts for, nothing from the first step it cannot follow.
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import { referenceModel } from '../../runner/model/oracle.js';

const steps = (yaml: string) => {
  const r = parseCase(`title: t\nsteps:\n${yaml}`, 'x.yaml', 'x');
  if (!r.case?.steps) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.case.steps;
};

describe('referenceModel', () => {
  const model = referenceModel();
  const s = steps('  - map: { id: a, at: 2, pages: 3 }\n  - map: { id: f, at: 8, pages: 1, backing: tmpfs, shared: true }\n  - unmap: { at: 2, pages: 1 }\n');

  it('gives an expect value for each step it follows, as a case writes it, and stops at the first it cannot', () => {
    const e = model.expectations(s, { release: '6.12.118' });
    expect([...e.keys()]).toEqual([0]);
    expect(e.get(0)).toMatchObject({ expect: { layout: [{ at: 2, pages: 3, perms: 'rw-p', name: '' }] } });
    const r = parseCase(`title: t\nsteps:\n  - map: { at: 2, pages: 3 }\n  - ${JSON.stringify(e.get(0))}\n`, 'y.yaml', 'y');
    expect(r.diagnostics).toEqual([]);
  });

  it('says nothing about a kernel whose facts it does not have', () => {
    expect(model.expectations(s, { release: '6.6.60' }).size).toBe(0);
    expect(model.expectations(s, { release: 'nonsense' }).size).toBe(0);
  });
});
