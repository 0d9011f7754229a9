// The reference model (runner/model/) against real guest runs: the result streams of the whole
// suite recorded on 6.12 and 6.1 (test/fixtures/model/<kernel>/, README there). For every step
// case, the model's predicted errno of each top-level call equals the one the guest reported,
// and its layout, smaps and rollup predictions, merged into the case's own expect steps (which
// took those snapshots), pass the normal judge on the recorded records.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errnoName } from '../../runner/abi/errno.js';
import { loadCases, parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { mergeIntoExpectations } from '../../runner/model/insert.js';
import { modelKernel } from '../../runner/model/kernel.js';
import { simulate } from '../../runner/model/simulate.js';
import { compileCase } from '../../runner/plan/compile.js';
import type { CompiledCase } from '../../runner/plan/compiled.js';
import { serializePlan } from '../../runner/plan/plan.js';
import type { KernelFacts } from '../../runner/plan/when.js';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';
import { judgeCase } from '../../runner/verdict/judge.js';
import { planHash } from '../model/plan-hash.js';

const FIXTURES = 'test/fixtures/model';

/** A recorded run: the kernel, the case id of each index, the records. */
function fixture(dir: string) {
  const config = new Map<string, string>();
  const configText = readFileSync(path.join(dir, 'kernel.config'), 'utf8');
  for (const m of configText.matchAll(/^CONFIG_([A-Z0-9_]+)=(.*)$/gm)) config.set(m[1]!, m[2]!);
  const release = /Linux\/\S+ (\S+) Kernel Configuration/.exec(configText)?.[1];
  if (!release) throw new Error(`${dir}/kernel.config names no release`);
  // `<index> <id> <plan hash>` (test/model/record-fixture.ts).
  const ids = new Map(
    readFileSync(path.join(dir, 'cases.txt'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string, string])
      .map(([i, id, hash]) => [Number(i), { id, hash }]),
  );
  // One result stream per guest of the run (`results-<guest>.txt`), each with its share of the cases.
  const streams = readdirSync(dir)
    .filter((n) => /^results-.*\.txt$/.test(n))
    .map((n) => parseResultStream(readFileSync(path.join(dir, n), 'utf8')));
  const records = new Map(streams.flatMap((s) => [...casesByIndex(s)]));
  return { facts: { release, config } satisfies KernelFacts, ids, records, complete: streams.length > 0 && streams.every((s) => s.complete) };
}

/** Why a recorded case cannot be judged on its records (it is gone, or its plan is not the one recorded); null when it can. */
function staleness(dir: string, id: string, hash: string, compiled: CompiledCase | undefined): string | null {
  const again = 'record again (test/model/record-fixture.ts)';
  if (!compiled) return `${id}: recorded in ${dir} but no longer a case; ${again}`;
  const now = planHash(serializePlan(compiled.plan));
  return now === hash ? null : `${id}: its plan is not the one recorded (${hash}, now ${now}): the case changed since ${dir} was recorded; ${again}`;
}

const kernels = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => existsSync(path.join(FIXTURES, d, 'cases.txt'))) : [];

describe.each(kernels)('the model on the run recorded on %s', (dir) => {
  const f = fixture(path.join(FIXTURES, dir));
  const k = modelKernel(f.facts.release);

  it('has a complete recording of a kernel the model knows', () => {
    expect(f.complete).toBe(true);
    expect(k).not.toBeNull();
  });

  it('tells a recorded case that is gone or changed since from one it can judge', async () => {
    const cases = new Map<string, Case>((await loadCases('cases')).map((c) => [c.id, c]));
    const [first, second] = [...f.ids].filter(([, r]) => cases.get(r.id)?.steps);
    if (!first || !second) throw new Error(`${dir}: fewer than two step cases recorded`);
    const [[index, { id, hash }], [otherIndex, other]] = [first, second];
    expect(staleness(dir, id, hash, compileCase(cases.get(id)!, index, 4096, f.facts, true))).toBeNull();
    // The case as another one's steps: its plan changed.
    expect(staleness(dir, id, hash, compileCase(cases.get(other.id)!, otherIndex, 4096, f.facts, true))).toMatch(/its plan is not the one recorded .* the case changed since/);
    expect(staleness(dir, 'no/such-case', hash, undefined)).toMatch(/no longer a case/);
  });

  it('predicts every top-level errno the guest reported, and its expectations pass the judge on the recorded snapshots', async () => {
    if (!k) return;
    const cases = new Map<string, Case>((await loadCases('cases')).map((c) => [c.id, c]));
    const problems: string[] = [];
    let errnos = 0;
    let judged = 0;
    for (const [index, { id, hash }] of f.ids) {
      const c = cases.get(id);
      const record = f.records.get(index);
      // The records are those of the plan that ran: a case gone or changed since is not judged on them.
      const compiled = c && compileCase(c, index, 4096, f.facts, true);
      const stale = staleness(dir, id, hash, compiled);
      if (stale) problems.push(stale);
      if (stale || !c?.steps || !compiled || !record) continue;
      const sim = simulate(c.steps, k, f.facts, c.windowPages);
      for (const [i, p] of sim.steps) {
        if (p.errno === undefined) continue;
        const s = compiled.steps.find((cs) => cs.origin.path === `steps[${i}]` && cs.check.kind === 'outcome');
        const rec = s && record.steps.get(s.op.step);
        if (!rec) continue;
        errnos++;
        const got = rec.errno === 0 ? null : errnoName(rec.errno);
        if (got !== p.errno) problems.push(`${id} steps[${i}]: the model says ${p.errno ?? 'success'}, the guest ${got ?? 'success'}`);
      }
      // The predictions for each case expect step, merged into it: the plan's ops must stay the same.
      const predictions = new Map([...sim.steps].filter(([i]) => c.steps[i]?.kind === 'expect'));
      if (predictions.size === 0) continue;
      const merged = parseCase(mergeIntoExpectations(readFileSync(c.file, 'utf8'), predictions), c.file, c.id);
      if (!merged.case) {
        problems.push(`${id}: the merged case does not load: ${merged.diagnostics.map((d) => d.message).join('; ')}`);
        continue;
      }
      const mc = compileCase(merged.case, index, 4096, f.facts, true);
      const ops = (x: typeof mc) => x.plan.ops.map((o) => `${o.step} ${o.op}`).join(',');
      if (ops(mc) !== ops(compiled)) {
        problems.push(`${id}: merging the predictions changed the plan`);
        continue;
      }
      judged += predictions.size;
      const v = judgeCase(mc, merged.case, record);
      for (const fl of v.failures) problems.push(`${id}: ${fl.path ?? ''} ${fl.message}`);
    }
    expect(problems).toEqual([]);
    // The model follows most of the suite: a model that predicts nothing passes nothing here.
    expect(errnos).toBeGreaterThan(150);
    expect(judged).toBeGreaterThan(50);
  });
});
