// `when: { kernel: ">=6.13", kconfig: [X] }` beside any step: the step runs only on a
// kernel that meets it. Read here (validation); decided by the plan compiler once the
// kernel under test is known (runner/plan/compile.ts, runner/kernel/requirements.ts). The
// version range is runner/kernel/version-range.ts's, as in `requires`.

import { isMap, isScalar, YAMLMap, type Node } from 'yaml';
import type { Requirements, Step } from './types.js';
import { join, type Ctx, type Field } from './read-context.js';
import { readKconfigTerms, readKernelRange } from './read-values.js';

/** The key that guards a step, beside its kind. */
export const WHEN_KEY = 'when';
/** The keys of `when`: the same terms as `requires`. */
export const WHEN_KEYS = ['kernel', 'kconfig'] as const;

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
    const range = readKernelRange(ctx, vf, join(path, 'kernel'));
    if (range === undefined) ok = false;
    else req.kernel = range;
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
