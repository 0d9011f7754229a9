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
  const s = steps('  - map: { id: a, at: 2, pages: 3 }\n  - mlock: { at: 2, pages: 1 }\n  - unmap: { at: 2, pages: 1 }\n');

  it('gives an expect value for each step it follows, as a case writes it, and stops at the first it cannot', () => {
    const e = model.expectations(s, { release: '6.12.118' });
    expect([...e.keys()]).toEqual([0]);
    expect(e.get(0)).toMatchObject({ errno: null, expect: { expect: { layout: [{ at: 2, pages: 3, perms: 'rw-p', name: '' }] } } });
    const r = parseCase(`title: t\nsteps:\n  - map: { at: 2, pages: 3 }\n  - ${JSON.stringify(e.get(0)?.expect)}\n`, 'y.yaml', 'y');
    expect(r.diagnostics).toEqual([]);
  });

  it('says nothing about a kernel whose facts it does not have', () => {
    expect(model.expectations(s, { release: '6.6.60' }).size).toBe(0);
    expect(model.expectations(s, { release: 'nonsense' }).size).toBe(0);
  });
});

describe('referenceModel: MADV_WILLNEED of anonymous memory', () => {
  // Seen in the guest (explore --seed 1, sequence 76, 6.12.118 without CONFIG_SWAP): madvise_willneed() of the reserve gave EBADF.
  const model = referenceModel();
  const s = steps('  - madvise: { at: 0, pages: 1, advice: willneed }\n');

  it('claims EBADF without CONFIG_SWAP and success with it', () => {
    expect(model.expectations(s, { release: '6.12.118', config: new Map(), window: 12 }).get(0)?.errno).toBe('EBADF');
    expect(model.expectations(s, { release: '6.12.118', config: new Map([['SWAP', 'y']]), window: 12 }).get(0)?.errno).toBe(null);
  });

  it('says nothing of it when the .config is not known', () => {
    expect(model.expectations(s, { release: '6.12.118', window: 12 }).has(0)).toBe(false);
  });
});

describe('referenceModel: a fork child starts with the parent layout', () => {
  // K1 (names inherited) and S11 (VM_DONTCOPY VMAs are not copied): the claim put at the head of the child's steps.
  const model = referenceModel();
  const s = steps(
    '  - map: { id: a, at: 2, pages: 3 }\n  - name: { region: a, name: x }\n  - madvise: { region: a, page: 2, pages: 1, advice: dontfork }\n  - fork:\n      child:\n        - unmap: { at: 2, pages: 1 }\n',
  );

  it('names what fork copies and leaves out what VM_DONTCOPY keeps back', () => {
    const claim = model.expectations(s, { release: '6.12.118' }).get(3);
    expect(claim?.child).toEqual({ expect: { layout: [{ at: 2, pages: 2, perms: 'rw-p', name: '[anon:x]' }] } });
    // The parent keeps all three pages, the last one split off by the advice.
    expect(claim?.expect.expect['layout']).toEqual([
      { at: 2, pages: 2, perms: 'rw-p', name: '[anon:x]' },
      { at: 4, pages: 1, perms: 'rw-p', name: '[anon:x]' },
    ]);
  });
});
