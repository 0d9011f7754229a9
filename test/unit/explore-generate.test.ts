// The generator of vmaspec explore: deterministic from the seed, every case (and every shrink
// candidate) valid by the loader, every step kind decided, views recorded in every process.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STEP_KINDS } from '../../runner/cases/steps.js';
import { DRAWN_WITHIN, GENERATORS, NOT_GENERATED, RECORD_ALL, type RawStep } from '../../runner/explore/generate.js';
import { drawSequence, generated, sequenceSeed, stepCount } from '../../runner/explore/run.js';
import { caseDraw } from '../../runner/explore/generate.js';

const DIR = '/tmp/explore-test';
const textOf = (seed: number, k: number): string => generated(seed, k, drawSequence(seed, k), DIR).text;

/** Every step list of a raw list: the list, and the child and parent lists of its forks. */
const lists = (steps: RawStep[]): RawStep[][] => [
  steps,
  ...steps.flatMap((s) => {
    const f = s['fork'] as { child: RawStep[]; parent?: RawStep[] } | undefined;
    return f ? [...lists(f.child), ...(f.parent ? lists(f.parent) : [])] : [];
  }),
];

describe('explore generator', () => {
  it('draws the same case from the same seed and sequence, and others from others', () => {
    expect(textOf(7, 3)).toBe(textOf(7, 3));
    const texts = new Set(Array.from({ length: 40 }, (_, k) => textOf(7, k)));
    expect(texts.size).toBeGreaterThan(30);
    expect(Array.from({ length: 40 }, (_, k) => textOf(8, k))).not.toEqual(Array.from({ length: 40 }, (_, k) => textOf(7, k)));
  });

  it('gives fast-check the sequence it judged: the first run of the sequence seed is its draw (shrinking starts there)', async () => {
    for (const k of [0, 1, 17]) {
      let first: unknown;
      await fc.check(
        fc.asyncProperty(caseDraw(), async (items) => {
          first ??= items;
          return true;
        }),
        { seed: sequenceSeed(5, k), numRuns: 1 },
      );
      expect(first).toEqual(drawSequence(5, k));
    }
  });

  it('generates only valid cases, each process ending with every view recorded', () => {
    let steps = 0;
    const kinds = new Set<string>();
    for (let k = 0; k < 400; k++) {
      const g = generated(11, k, drawSequence(11, k), DIR); // throws with the diagnostics if invalid
      steps += stepCount(g.raw.steps);
      for (const l of lists(g.raw.steps)) {
        expect(l[l.length - 1]).toEqual(RECORD_ALL);
        for (const s of l) kinds.add(Object.keys(s)[0] ?? '');
      }
    }
    expect(steps / 400).toBeGreaterThan(3);
    expect([...kinds].sort()).toEqual(Object.keys(GENERATORS).concat('expect', ...Object.keys(DRAWN_WITHIN)).sort());
  });

  it('keeps every shrink candidate valid', async () => {
    let candidates = 0;
    const result = await fc.check(
      fc.property(caseDraw(), (items) => {
        const g = generated(3, 0, items, DIR);
        candidates++;
        // Fails on any case with a step: fast-check shrinks it down to a single step.
        return stepCount(g.raw.steps) === 0;
      }),
      { seed: 42, numRuns: 100 },
    );
    expect(result.failed).toBe(true);
    expect(candidates).toBeGreaterThan(10);
    expect(stepCount(generated(3, 0, result.counterexample![0], DIR).raw.steps)).toBe(1);
  });

  it('decides every step kind: generated, or left out with the reason', () => {
    const decided = [...Object.keys(GENERATORS), ...Object.keys(NOT_GENERATED), ...Object.keys(DRAWN_WITHIN)].sort();
    expect(decided).toEqual([...STEP_KINDS].sort());
    for (const why of Object.values(NOT_GENERATED)) expect(why.length).toBeGreaterThan(20);
  });
});
