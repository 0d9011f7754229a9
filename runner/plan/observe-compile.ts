// The plan steps of an `expect` step, each with its check: the `snapshot` op (layout, vmas,
// contains, their holes and reserve ranges, maps_line and the reserve), one `special` op per
// special entry, one `smaps` and one `rollup` op when needed, one `smaps-area` per heap or stack
// smaps item, one `query`, `mapfile` or `pagemap` (`pagemap-area`) op per item, `mmerge-get` for
// memory_merge, `fork-points` for fork_points, the ops of a `record` item, and last one `peek` op
// per `data` item (its reads may map pages: the other ops see the state before them).
import type { NumberCheck, RecordExpect, RecordView, WindowSmapsExpect } from '../cases/expect-types.js';
import type { Expectation, SourcePos } from '../cases/types.js';
import type { SnapshotCheck, StepCheck } from './compiled.js';
import { SMAPS_LINES, type SmapsLine } from './observe-ops.js';
import type { PlanOp } from './plan.js';

/** The fields a number check reads: its own and those its expressions name (`Rss / 2`). */
const referenced = (name: string, check: NumberCheck): string[] => [name, ...Object.values(check).flatMap((o) => o.terms.flatMap((t) => (t.field === null ? [] : [t.field])))];

/** The smaps lines window items read (their fields, VmFlags), for the op to send those alone; none: the header alone. */
export function smapsLines(items: readonly WindowSmapsExpect[]): SmapsLine[] {
  const wanted = new Set<string>(items.flatMap((e) => [...e.fields.flatMap(([name, check]) => referenced(name, check)), ...(e.vmFlags ? ['VmFlags'] : [])]));
  return SMAPS_LINES.words.filter((w) => wanted.has(w));
}

/** A plan step of an expect step: its op, given its plan step number, and its check. */
export interface ExpectStep {
  op: (step: number) => PlanOp;
  check: StepCheck;
}

/** The checks of the snapshot, in the order their failures are listed. */
function snapshotChecks(expect: Expectation, base: string, pos: SourcePos): SnapshotCheck[] {
  const o = expect.observe;
  const checks: SnapshotCheck[] = [{ kind: 'reserve', path: base, pos }];
  if (expect.vmas !== undefined) checks.push({ kind: 'vmas', path: `${base}.vmas`, pos, expect: expect.vmas });
  const lists = [['layout', expect.layout], ['contains', o?.contains]] as const;
  for (const [list, entries] of lists) {
    if (!entries) continue;
    checks.push({ kind: list, path: `${base}.${list}`, pos, expect: entries.vmas });
    for (const span of entries.spans) checks.push({ kind: 'span', list, path: `${base}.${list}[${span.index}]`, pos: span.pos, expect: span });
  }
  for (const m of o?.mapsLines ?? []) checks.push({ kind: 'maps_line', path: `${base}.${m.key}`, pos: m.pos, expect: m });
  return checks;
}

/**
 * The plan steps of one expect step, in plan order (each gets the next step number). `path` is the
 * step's key path (`steps[3]`), `pos` its position; the checks' paths lie under `<path>.expect`;
 * `reached`: the guard pages earlier steps named (see the snapshot check).
 */
export function expectSteps(expect: Expectation, path: string, pos: SourcePos, pageSize: number, reached: readonly number[] = [], fullViews = false): ExpectStep[] {
  const base = `${path}.expect`;
  const o = expect.observe;
  const out: ExpectStep[] = [{ op: (step) => ({ op: 'snapshot', step }), check: { kind: 'snapshot', checks: snapshotChecks(expect, base, pos), reached: [...reached] } }];
  (expect.special ?? []).forEach((sp, i) =>
    out.push({ op: (step) => ({ op: 'special', step, target: sp.target }), check: { kind: 'special', path: `${base}.special[${i}]`, pos: sp.pos, expect: sp } }),
  );
  if (!o) return out;
  const smaps = (o.smaps ?? []).map((s, i) => ({ path: `${base}.smaps[${i}]`, pos: s.pos, expect: s }));
  const windowItems = smaps.flatMap((x) => ('vma' in x.expect ? [{ ...x, expect: x.expect }] : []));
  if (windowItems.length || o.smapsFields) {
    const fields = o.smapsFields ? { path: `${base}.smaps_fields`, pos: o.smapsFields.pos, expect: o.smapsFields.names } : null;
    // Every line (`-`) when the field order is checked; else the lines the items read, Size for items that read only the header.
    const read = smapsLines(windowItems.map((x) => x.expect));
    const lines = fields || fullViews ? [] : read.length ? read : (['Size'] as const);
    out.push({ op: (step) => ({ op: 'smaps', step, lines: [...lines] }), check: { kind: 'smaps', items: windowItems, fields } });
  }
  for (const x of smaps) {
    const e = x.expect;
    if ('area' in e) out.push({ op: (step) => ({ op: 'smaps-area', step, area: e.area }), check: { kind: 'smaps_area', ...x, expect: e } });
  }
  const rollup = o.rollup;
  if (rollup) out.push({ op: (step) => ({ op: 'rollup', step }), check: { kind: 'rollup', path: `${base}.rollup`, pos: rollup.pos, expect: rollup } });
  (o.query ?? []).forEach((q, i) =>
    out.push({
      op: (step) => ({
        op: 'query',
        step,
        file: q.file,
        start: q.at * pageSize + q.offset,
        flags: q.flags,
        nameBuf: q.nameBuf,
        nameAddr: q.nameAddr,
        size: q.size,
        tail: q.tail,
        buildIdSize: q.buildIdSize,
      }),
      check: { kind: 'query', path: `${base}.query[${i}]`, pos: q.pos, expect: q },
    }),
  );
  (o.mapFiles ?? []).forEach((m, i) =>
    out.push({ op: (step) => ({ op: 'mapfile', step, start: m.at * pageSize, spelling: m.spelling }), check: { kind: 'map_files', path: `${base}.map_files[${i}]`, pos: m.pos, expect: m } }),
  );
  (o.pagemap ?? []).forEach((p, i) => {
    const r = p.range;
    const op = (step: number): PlanOp => ('area' in r ? { op: 'pagemap-area', step, area: r.area, first: r.first, pages: r.pages } : { op: 'pagemap', step, at: r.at, pages: r.pages });
    out.push({ op, check: { kind: 'pagemap', path: `${base}.pagemap[${i}]`, pos: p.pos, expect: p } });
  });
  // PR_GET_MEMORY_MERGE is a call that succeeds with 1 or 0: an outcome with its `ret`.
  const mm = o.memoryMerge;
  if (mm) out.push({ op: (step) => ({ op: 'mmerge-get', step }), check: { kind: 'outcome', path: `${base}.memory_merge`, pos: mm.pos, expect: { errno: null, ret: mm.enabled ? 1 : 0 }, landsAt: null, failNth: null } });
  const fp = o.forkPoints;
  if (fp) out.push({ op: (step) => ({ op: 'fork-points', step }), check: { kind: 'fork_points', path: `${base}.fork_points`, pos: fp.pos, expect: fp } });
  if (o.record) out.push(...recordSteps(o.record, `${base}.record`, pageSize));
  (o.data ?? []).forEach((d, i) => {
    const { at, pages } = d.source.range;
    out.push({ op: (step) => ({ op: 'peek', step, at, pages }), check: { kind: 'data', path: `${base}.data[${i}]`, pos: d.pos, expect: d } });
  });
  return out;
}

/** The ops of a `record` item, one view after another: every window page for query and map_files, the whole window for pagemap. */
function recordSteps(record: RecordExpect, path: string, pageSize: number): ExpectStep[] {
  const check: StepCheck = { kind: 'record', path, pos: record.pos, expect: record };
  const pages = Array.from({ length: record.window }, (_, i) => i);
  const ops: Record<RecordView, ((step: number) => PlanOp)[]> = {
    smaps: [(step) => ({ op: 'smaps', step, lines: [] })],
    rollup: [(step) => ({ op: 'rollup', step })],
    query: pages.map((p) => (step: number): PlanOp => ({ op: 'query', step, file: 'maps', start: p * pageSize, flags: 0, nameBuf: 4096, nameAddr: 'buf', size: 104, tail: false, buildIdSize: 0 })),
    map_files: pages.map((p) => (step: number): PlanOp => ({ op: 'mapfile', step, start: p * pageSize, spelling: 'exact' })),
    pagemap: [(step) => ({ op: 'pagemap', step, at: 0, pages: record.window })],
    fork_points: [(step) => ({ op: 'fork-points', step })],
  };
  return record.views.flatMap((v) => ops[v].map((op) => ({ op, check })));
}
