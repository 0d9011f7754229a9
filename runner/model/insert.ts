// Writes the model's predictions into a case file's text (YAML), for judging them with the normal
// judge: as new `expect` steps after each top-level step (a case to run in the VM), or merged into
// the case's own `expect` steps where those already take the same observations (to judge recorded
// runs without changing the plan: test/unit/model-fixtures.test.ts).
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import type { ModelClaim } from '../explore/oracle.js';

/** The model's claims by top-level step index. */
export type Predictions = ReadonlyMap<number, ModelClaim>;

const stepsOf = (doc: Document) => {
  const steps = doc.get('steps', true);
  if (!isSeq(steps)) throw new Error('the case has no steps list');
  return steps;
};

/**
 * The case text with an `expect` step after every predicted top-level step; `title` gets a suffix.
 * `modelOnly`: the case's own top-level `expect` steps are left out, so only the model judges the run's views.
 */
export function insertExpectations(source: string, predictions: Predictions, modelOnly = false): string {
  const doc = parseDocument(source, { intAsBigInt: true });
  const steps = stepsOf(doc);
  const items = [...steps.items];
  const out: unknown[] = [];
  for (const [i, item] of items.entries()) {
    if (!(modelOnly && isMap(item) && item.has('expect'))) out.push(item);
    const p = predictions.get(i);
    if (p !== undefined) out.push(doc.createNode(p.expect));
  }
  steps.items = out as typeof steps.items;
  doc.set('title', `${String(doc.get('title'))} (with the model's expectations)`);
  return doc.toString({ lineWidth: 0 });
}

/** Keys of an `expect` value the model gives, and which of the case's keys make the plan take that observation already (every expect step reads maps: runner/plan/observe-compile.ts). */
const OBSERVED_BY: Readonly<Record<string, readonly string[] | 'always'>> = {
  layout: 'always',
  vmas: 'always',
  smaps: ['smaps', 'smaps_fields'],
  rollup: ['rollup'],
};

/**
 * The case text with each top-level `expect` step's layout, smaps and rollup replaced by the
 * model's prediction for that step, where the step already takes that observation (so the plan's
 * ops stay the same); the case's other keys stay.
 */
export function mergeIntoExpectations(source: string, predictions: Predictions): string {
  const doc = parseDocument(source, { intAsBigInt: true });
  for (const [i, item] of stepsOf(doc).items.entries()) {
    const p = predictions.get(i);
    if (!p || !isMap(item)) continue;
    const exp = item.get('expect', true);
    if (!isMap(exp)) continue;
    const has = (k: string): boolean => exp.has(k);
    const model = p.expect.expect;
    const snapshot = Object.keys(model).filter((k) => {
      const by = OBSERVED_BY[k];
      return by === 'always' || (by !== undefined && by.some(has));
    });
    if (snapshot.includes('layout') || snapshot.includes('vmas')) {
      exp.delete('layout');
      exp.delete('vmas');
    }
    for (const k of snapshot) exp.set(k, doc.createNode(model[k]));
  }
  return doc.toString({ lineWidth: 0 });
}

