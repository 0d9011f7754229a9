// Sharing cases out among guests side by side.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseCost, readDurations } from '../../runner/plan/durations.js';
import { CASE_OVERHEAD_MS, EXTRA_GUEST_MS, planGuests, WAITING_MIN_IDLE_MS } from '../../runner/plan/split.js';

describe('planGuests, cores only', () => {
  const split = <T>(items: readonly T[], n: number, ms: (t: T) => number): T[][] => planGuests(items, n, (t) => ({ ms: ms(t), idleMs: 0 }), true).groups;

  it('puts a long case alone and the short ones together, each group in its original order', () => {
    const items = [['a', 20], ['fork-cost', 3000], ['b', 30], ['c', 25], ['d', 1000]] as const;
    const groups = split(items, 2, (x) => x[1]).map((g) => g.map((x) => x[0]));
    expect(groups).toEqual([['fork-cost'], ['a', 'b', 'c', 'd']]);
  });

  it('balances equal weights and never makes an empty group', () => {
    const groups = split([1, 2, 3, 4, 5], 2, () => 1);
    expect(groups.map((g) => g.length).sort()).toEqual([2, 3]);
    expect(groups.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(split([1], 4, () => 1)).toEqual([[1]]);
    expect(split([1, 2], 1, () => 1)).toEqual([[1, 2]]);
  });

  it('weighs a case by its last cost, else a tenth of its time limit, busy', () => {
    const d = new Map([['fork-cost/k5', { ms: 3100, idleMs: 10 }]]);
    expect(caseCost(d, 'fork-cost/k5', 60_000)).toEqual({ ms: 3100, idleMs: 10 });
    expect(caseCost(d, 'naming/s1', 10_000)).toEqual({ ms: 1000, idleMs: 0 });
  });
});

// The suite's shape as measured here (docs/performance.md): one long busy case (fork-cost, 1.67 s),
// one that sleeps 1 s (upstream proc-empty-vm), and many short ones.
type Item = readonly [string, number, number];
const suite: Item[] = [['a1', 80, 0], ['k5', 1670, 0], ['empty-vm', 1012, 1000], ...Array.from({ length: 100 }, (_, i): Item => [`s${i}`, 12, 0])];
const names = (groups: Item[][]): string[][] => groups.map((g) => g.map((x) => x[0]));
const cost = (x: Item) => ({ ms: x[1], idleMs: x[2] });

describe('planGuests', () => {
  it('gives the cases that mostly wait a guest of their own when the run ends sooner so', () => {
    const plan = planGuests(suite, 2, cost, true);
    expect(plan.groups).toHaveLength(3);
    expect(plan.waiting).toBe(2);
    expect(names(plan.groups)[2]).toEqual(['empty-vm']);
    expect(plan.groups.flat()).toHaveLength(suite.length);
    // The group estimated to end last (it asks first for the command server's parked guest): fork-cost's.
    expect(names(plan.groups)[plan.longest]).toContain('k5');
    // Two guests of 2.0 s each against 1.67 s + EXTRA_GUEST_MS.
    const span = (g: Item[]) => g.reduce((s, x) => s + x[1], 0);
    expect(Math.max(...plan.groups.slice(0, 2).map(span))).toBeLessThan(Math.max(...planGuests(suite, 2, cost, false).groups.map(span)) - EXTRA_GUEST_MS);
  });

  it('gives them their own guest on a tie too: fork-cost as long as the rest with the sleeper', () => {
    const long: Item[] = suite.map((x): Item => (x[0] === 'k5' ? ['k5', 2541, 0] : x));
    const plan = planGuests(long, 2, cost, true);
    expect(plan.waiting).toBe(2);
    expect(names(plan.groups)[2]).toEqual(['empty-vm']);
  });

  it('keeps the cores\' guests alone when not allowed more (--jobs), when nothing waits, or when it would not be sooner', () => {
    expect(planGuests(suite, 2, cost, false)).toMatchObject({ waiting: null });
    expect(planGuests(suite, 2, cost, false).groups).toHaveLength(2);
    const busy = suite.map((x): Item => [x[0], x[1], 0]);
    expect(planGuests(busy, 2, cost, true)).toMatchObject({ waiting: null });
    // Waiting, but short: another guest costs more than it saves.
    const shortWait: Item[] = [['w', 250, 240], ['b1', 100, 0], ['b2', 100, 0]];
    expect(planGuests(shortWait, 2, cost, true)).toMatchObject({ waiting: null });
    // Half idle is waiting; less is not, nor idle under WAITING_MIN_IDLE_MS (each would be sooner in a guest of its own).
    const beside = (w: Item): Item[] => [w, ['b1', 600, 0], ['b2', 600, 0]];
    expect(planGuests(beside(['w', 1000, 500]), 2, cost, true).waiting).toBe(2);
    expect(planGuests(beside(['w', 1000, 490]), 2, cost, true).waiting).toBeNull();
    const short = (w: Item): Item[] => [w, ['b1', 500, 0], ['b2', 500, 0]];
    expect(planGuests(short(['w', WAITING_MIN_IDLE_MS, WAITING_MIN_IDLE_MS]), 2, cost, true).waiting).toBe(2);
    expect(planGuests(short(['w', WAITING_MIN_IDLE_MS - 10, WAITING_MIN_IDLE_MS - 10]), 2, cost, true).waiting).toBeNull();
  });

  it('names the group estimated to end last', () => {
    const busy: Item[] = [['a', 50, 0], ['b', 900, 0], ['c', 300, 0], ['d', 500, 0]];
    const plan = planGuests(busy, 2, cost, true);
    expect(names(plan.groups)).toEqual([['b'], ['a', 'c', 'd']]);
    expect(plan.longest).toBe(0);
    expect(planGuests([['a', 100, 0], ['b', 90, 0], ['c', 80, 0]] as Item[], 2, cost, true)).toMatchObject({ groups: [[expect.anything()], expect.anything()], longest: 1 });
  });

  it('weighs each case with the supervisor\'s work around it (CASE_OVERHEAD_MS): many short cases are not free', () => {
    const items: Item[] = [['long', 200, 0], ...Array.from({ length: 100 }, (_, i): Item => [`s${i}`, 1, 0])];
    const [a, b] = planGuests(items, 2, cost, false).groups;
    const load = (g: Item[]) => g.reduce((sum, x) => sum + x[1] + CASE_OVERHEAD_MS, 0);
    expect(names([a!])[0]).toContain('long');
    expect(a!.length).toBeGreaterThan(1); // by durations alone the short ones (100 ms) would all go beside it
    expect(Math.abs(load(a!) - load(b!))).toBeLessThanOrEqual(1 + CASE_OVERHEAD_MS);
  });

  it('makes no extra guest when every case waits', () => {
    const plan = planGuests([['w1', 1000, 990], ['w2', 1000, 990]] as Item[], 2, cost, true);
    expect(plan).toMatchObject({ waiting: null });
    expect(plan.groups).toHaveLength(2);
  });
});

describe('readDurations', () => {
  it('reads this record ([ms, idle ms]) and an older one (ms), and skips what is neither', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmaspec-durations-'));
    try {
      await writeFile(join(dir, 'durations.json'), JSON.stringify({ a: [1012, 1000], b: 80, c: 'x', d: [1, 2, 3], e: [5, 9], f: -1 }));
      expect(await readDurations(dir)).toEqual(
        new Map([
          ['a', { ms: 1012, idleMs: 1000 }],
          ['b', { ms: 80, idleMs: 0 }],
          ['e', { ms: 5, idleMs: 5 }],
        ]),
      );
      await writeFile(join(dir, 'durations.json'), 'not json');
      expect(await readDurations(dir)).toEqual(new Map());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
