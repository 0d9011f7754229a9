// The model oracle in explore (runner/explore/run.ts generated()): the model's claims written into
// a generated case as the case language has them, no `record: all` steps, nothing after the last
// claim; a sequence the model says nothing of is not judged by it.
import { describe, expect, it } from 'vitest';
import { drawSequence, generated } from '../../runner/explore/run.js';
import { isRecordAll, type RawStep } from '../../runner/explore/generate.js';
import { referenceModel } from '../../runner/model/oracle.js';
import { parseCase } from '../../runner/cases/load.js';

const DIR = '/tmp/explore-test';
const model = { oracle: referenceModel(), release: '6.12.118', config: new Map<string, string>() };
const kindOf = (s: RawStep): string => Object.keys(s)[0] ?? '';

describe('explore with the model oracle', () => {
  const gens = Array.from({ length: 60 }, (_, k) => generated(3, k, drawSequence(3, k), DIR, model));

  it('writes each claim in: the errno into its step, the expect step after it; every claimed path is in the case', () => {
    const claimed = gens.filter((g) => g.claims.length > 0);
    expect(claimed.length).toBeGreaterThan(10);
    for (const g of claimed) {
      for (const p of g.claims) {
        const [, i, child] = /^steps\[(\d+)\](\.fork\.child\[0\])?$/.exec(p) ?? [];
        const step = g.raw.steps[Number(i)];
        expect(step).toBeDefined();
        // A fork child's claim is the expect step at the head of its steps.
        if (child) expect(kindOf(((step as { fork: { child: RawStep[] } }).fork.child[0]) ?? {})).toBe('expect');
      }
      // The case ends with the last claim, and has no `record: all` step anywhere.
      expect(g.claims).toContain(`steps[${g.raw.steps.length - 1}]`);
      expect(g.text).not.toContain('record');
      expect(g.raw.steps.some(isRecordAll)).toBe(false);
    }
  });

  it('gives the claims the model makes of the case as loaded without them', () => {
    for (const g of gens.filter((x) => x.claims.length > 0).slice(0, 10)) {
      // The case without the model's expect steps and errnos, loaded again: the model claims the same of it.
      const bare = g.raw.steps.filter((s, i) => !(kindOf(s) === 'expect' && g.claims.includes(`steps[${i}]`))).map((s) => {
        const kind = kindOf(s);
        const { errno: _, ...value } = s[kind] as Record<string, unknown>;
        return { [kind]: value };
      });
      const c = parseCase(JSON.stringify({ title: 't', window: g.raw.window, steps: bare }), 'x.yaml', 'x').case!;
      const claims = model.oracle.expectations(c.steps, { release: model.release, config: model.config, window: c.windowPages });
      const errnos = [...claims.values()].filter((x) => typeof x.errno === 'string').length;
      expect(g.raw.steps.filter((st) => (st[kindOf(st)] as Record<string, unknown>)['errno'] !== undefined).length).toBe(errnos);
    }
  });

  it("claims a fork child's first layout in some sequences", () => {
    const more = Array.from({ length: 300 }, (_, k) => generated(3, k, drawSequence(3, k), DIR, model));
    expect(more.some((g) => g.claims.some((p) => p.endsWith('.fork.child[0]')))).toBe(true);
  });

  it('judges none of a sequence whose first step the model does not follow', () => {
    const none = gens.filter((g) => g.claims.length === 0);
    expect(none.length).toBeGreaterThan(0);
    for (const g of none) {
      const claims = model.oracle.expectations(g.case.steps, { release: model.release, config: model.config, window: 12 });
      // Nothing, or only the state at an `expect` step (a draw that built no other step).
      expect([...claims.keys()].every((i) => g.case.steps[i]?.kind === 'expect')).toBe(true);
    }
  });
});
