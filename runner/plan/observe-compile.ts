// The plan ops of an `expect` step's observations, emitted after its `snapshot` op:
// one `smaps` and one `rollup` when needed, one `query`, `mapfile` or `pagemap` per item.
import type { Expectation } from '../cases/types.js';
import type { ObserveOp } from './observe-ops.js';

/** Makers of the observation ops of one expect step, in plan order (each gets the next step number). */
export function observeOps(expect: Expectation, pageSize: number): ((step: number) => ObserveOp)[] {
  const o = expect.observe;
  if (!o) return [];
  const out: ((step: number) => ObserveOp)[] = [];
  if (o.smaps || o.smapsFields) out.push((step) => ({ op: 'smaps', step }));
  if (o.rollup) out.push((step) => ({ op: 'rollup', step }));
  (o.query ?? []).forEach((q, item) =>
    out.push((step) => ({
      op: 'query',
      step,
      item,
      file: q.file,
      start: q.at * pageSize + q.offset,
      flags: q.flags,
      nameBuf: q.nameBuf,
      nameAddr: q.nameAddr,
      size: q.size,
      tail: q.tail,
      buildIdSize: q.buildIdSize,
    })),
  );
  (o.mapFiles ?? []).forEach((m, item) => out.push((step) => ({ op: 'mapfile', step, item, start: m.at * pageSize, spelling: m.spelling })));
  (o.pagemap ?? []).forEach((p, item) => out.push((step) => ({ op: 'pagemap', step, item, at: p.range.at, pages: p.range.pages })));
  return out;
}
