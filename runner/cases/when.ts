// `when: { kernel: ">=6.13", kconfig: [X] }` beside any step: the step runs only on a
// kernel that meets it. Read here (validation); decided by the plan compiler once the
// kernel under test is known (runner/plan/compile.ts, runner/kernel/requirements.ts).

import { isMap, isScalar, YAMLMap, type Node } from 'yaml';
import { compareVersions, isVersionRange } from '../kernel/requirements.js';
import type { Requirements, Step } from './types.js';
import { join, type Ctx, type Field } from './read-context.js';
import { readKconfigTerms } from './read-values.js';

/** The key that guards a step, beside its kind. */
export const WHEN_KEY = 'when';
/** The keys of `when`: the same terms as `requires`. */
export const WHEN_KEYS = ['kernel', 'kconfig'] as const;

/** Null when some kernel release can satisfy the range, else why none can (e.g. `>=6.13 <6.2`). */
export function emptyRangeReason(range: string): string | null {
  let lo: { v: string; strict: boolean } | null = null;
  let hi: { v: string; strict: boolean } | null = null;
  for (const term of range.trim().split(/\s+/)) {
    const m = /^(>=|<=|>|<|=)?(.+)$/.exec(term);
    if (!m || m[2] === undefined) continue;
    const op = m[1] ?? '=';
    const v = m[2];
    if (op === '>=' || op === '>' || op === '=') {
      const strict = op === '>';
      if (!lo || compareVersions(v, lo.v) > 0 || (compareVersions(v, lo.v) === 0 && strict)) lo = { v, strict };
    }
    if (op === '<=' || op === '<' || op === '=') {
      const strict = op === '<';
      if (!hi || compareVersions(v, hi.v) < 0 || (compareVersions(v, hi.v) === 0 && strict)) hi = { v, strict };
    }
  }
  if (!lo || !hi) return null;
  const c = compareVersions(lo.v, hi.v);
  if (c > 0 || (c === 0 && (lo.strict || hi.strict))) return `no kernel is ${lo.strict ? '>' : '>='}${lo.v} and ${hi.strict ? '<' : '<='}${hi.v}`;
  return null;
}

function readWhen(ctx: Ctx, f: Field, path: string): Requirements | undefined {
  const m = ctx.map(f.value, f.key, path, 'a mapping { kernel?: ">=6.13", kconfig?: [NAME] }');
  if (!m) return undefined;
  const F = ctx.fields(m, path, WHEN_KEYS);
  if (m.items.length === 0) {
    ctx.error(m, path, `when needs at least one of: ${WHEN_KEYS.join(', ')}`);
    return undefined;
  }
  const req: Requirements = { kconfig: [], kernel: null };
  let ok = F.size === m.items.length;
  const kf = F.get('kconfig');
  if (kf) {
    const terms = readKconfigTerms(ctx, kf, join(path, 'kconfig'));
    if (terms) req.kconfig = terms;
    else ok = false;
  }
  const vf = F.get('kernel');
  if (vf) {
    const vp = join(path, 'kernel');
    const s = ctx.str(vf, vp, ' such as ">=6.13" or ">=6.2 <6.13" (quote it)');
    if (s === undefined) ok = false;
    else if (!isVersionRange(s)) {
      ctx.error(vf.value, vp, `invalid version range ${JSON.stringify(s)}; expected terms like >=6.13 or <6.13 separated by spaces`);
      ok = false;
    } else {
      const empty = emptyRangeReason(s);
      if (empty) {
        ctx.error(vf.value, vp, `version range ${JSON.stringify(s)} matches no kernel (${empty}); the step would never run`);
        ok = false;
      } else req.kernel = s.trim().split(/\s+/).join(' ');
    }
  }
  return ok ? req : undefined;
}

/**
 * Reads one item of a step list: a step (via `read`), with an optional `when` key
 * beside its kind. The guard is attached to the step as `when`.
 */
export function readGuarded<S>(
  ctx: Ctx,
  item: Node | null,
  path: string,
  scope: S,
  read: (ctx: Ctx, item: Node | null, path: string, scope: S) => Step | undefined,
): Step | undefined {
  const m = ctx.deref(item);
  if (m === null || !isMap(m)) return read(ctx, item, path, scope);
  const guard = m.items.find((p) => isScalar(p.key) && p.key.value === WHEN_KEY);
  if (!guard) return read(ctx, item, path, scope);
  const field: Field = { key: guard.key as Field['key'], value: (guard.value as Node | null) ?? null };
  const rest = m.items.filter((p) => p !== guard);
  if (rest.length === 0) {
    ctx.error(field.key, join(path, WHEN_KEY), 'when guards a step; put the step beside it in the same list item, e.g. - expect: { vmas: 1 }');
    readWhen(ctx, field, join(path, WHEN_KEY));
    return undefined;
  }
  const body = new YAMLMap<unknown, unknown>();
  body.items = rest;
  body.range = m.range;
  body.flow = m.flow;
  const step = read(ctx, body, path, scope);
  const when = readWhen(ctx, field, join(path, WHEN_KEY));
  if (!step || !when) return undefined;
  return { ...step, when };
}
