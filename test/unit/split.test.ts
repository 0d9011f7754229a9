// Sharing cases out among guests side by side.
import { describe, expect, it } from 'vitest';
import { caseWeight } from '../../runner/plan/durations.js';
import { splitByWeight } from '../../runner/plan/split.js';

describe('splitByWeight', () => {
  it('puts a long case alone and the short ones together, each group in its original order', () => {
    const items = [['a', 20], ['fork-cost', 3000], ['b', 30], ['c', 25], ['d', 1000]] as const;
    const groups = splitByWeight(items, 2, (x) => x[1]).map((g) => g.map((x) => x[0]));
    expect(groups).toEqual([['fork-cost'], ['a', 'b', 'c', 'd']]);
  });

  it('balances equal weights and never makes an empty group', () => {
    const groups = splitByWeight([1, 2, 3, 4, 5], 2, () => 1);
    expect(groups.map((g) => g.length).sort()).toEqual([2, 3]);
    expect(groups.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(splitByWeight([1], 4, () => 1)).toEqual([[1]]);
    expect(splitByWeight([1, 2], 1, () => 1)).toEqual([[1, 2]]);
  });

  it('weighs a case by its last duration, else a tenth of its time limit', () => {
    const d = new Map([['fork-cost/k5', 3100]]);
    expect(caseWeight(d, 'fork-cost/k5', 60_000)).toBe(3100);
    expect(caseWeight(d, 'naming/s1', 10_000)).toBe(1000);
  });
});
