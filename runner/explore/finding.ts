// A finding as a regression case: the shrunk sequence with what the base kernel showed written in
// as expectations. Each step that failed on the base gets its `errno`; the `record: all` step where
// the kernels differ becomes the expectation of the view that differs (layout, smaps, rollup,
// query, map_files, pagemap, fork_points) with the base's values; the other `record` steps, which check
// nothing, go. The case then passes on the base and fails where the change differs.
import { errnoName } from '../abi/errno.js';
import type { CompiledCase, CompiledStep } from '../plan/compiled.js';
import { windowLayout } from '../results/maps.js';
import { parseMapFileRecord } from '../results/mapfiles.js';
import { obsTexts } from '../results/observe.js';
import { PAGEMAP_BIT_NAMES, pagemapBit, parsePagemap } from '../results/pagemap.js';
import { parseQueryRecord, queryName, vmaFlagWords } from '../results/query.js';
import { parseRollup, parseSmaps, type SmapsBlock } from '../results/smaps.js';
import type { CaseRecord, StepRecord, WindowInfo } from '../results/types.js';
import { isRecordAll, type RawCase, type RawStep } from './generate.js';

/** The step item at a key path of the case (`steps[2].fork.child[0]`). */
function itemAt(raw: RawCase, path: string): RawStep | undefined {
  let node: unknown = raw;
  for (const [, key, index] of path.matchAll(/\.?([A-Za-z_]+)|\[(\d+)\]/g)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = key !== undefined ? (node as Record<string, unknown>)[key] : (node as unknown[])[Number(index)];
  }
  return node !== null && typeof node === 'object' ? (node as RawStep) : undefined;
}

const pageOf = (addr: bigint, w: WindowInfo): number => Number((addr - w.base) / BigInt(w.pageSize));

/** The expectation of one observation op's record on the base: the view's values, as a case writes them. */
function viewExpectation(s: CompiledStep, rec: StepRecord, w: WindowInfo, line: string | null): Record<string, unknown> | null {
  switch (s.op.op) {
    case 'snapshot':
      return { layout: windowLayout(rec.maps, w).map((v) => ({ at: v.at, pages: v.pages, perms: v.perms, name: v.name })) };
    case 'smaps': {
      // The field that differs, in every VMA of the window; a header that differs: each VMA's name.
      const field = /^A (\w+):/.exec(line ?? '')?.[1];
      const blocks = parseSmaps(obsTexts(rec.obs, 'A'))
        .map((b) => ({ b, at: pageOf(b.entry.start, w) }))
        .filter(({ at }) => at >= 0 && at < w.pages);
      const value = (b: SmapsBlock): Record<string, unknown> => {
        if (field === 'VmFlags') return { VmFlags: b.vmFlags ?? [] };
        const f = b.fields.find((x) => x.name === field);
        return f ? { [f.name]: f.value } : { name: b.entry.name };
      };
      return { smaps: blocks.map(({ b, at }) => ({ at, ...value(b) })) };
    }
    case 'rollup':
      // Only its field names are compared (./normalise.ts).
      return { rollup: { fields: parseRollup(obsTexts(rec.obs, 'U')).order } };
    case 'query': {
      const at = pageOf(w.base + BigInt(s.op.start), w);
      if (rec.errno !== 0) return { query: [{ at, errno: errnoName(rec.errno) ?? String(rec.errno) }] };
      const [text] = obsTexts(rec.obs, 'Q');
      if (text === undefined) return null;
      const q = parseQueryRecord(text);
      return { query: [{ at, start: pageOf(q.start, w), end: pageOf(q.end, w), name: queryName(q).text, vma_flags: vmaFlagWords(q.vmaFlags) }] };
    }
    case 'mapfile': {
      const [text] = obsTexts(rec.obs, 'L');
      if (text === undefined) return null;
      const l = parseMapFileRecord(text);
      const at = pageOf(w.base + BigInt(s.op.start), w);
      return { map_files: [l.readlinkErrno === 0 ? { at, link: l.target ?? '' } : { at, errno: errnoName(l.readlinkErrno) ?? String(l.readlinkErrno) }] };
    }
    case 'pagemap':
      return { pagemap: parsePagemap(obsTexts(rec.obs, 'P')).map((p) => ({ at: p.page, pages: 1, ...Object.fromEntries(PAGEMAP_BIT_NAMES.map((b) => [b, pagemapBit(p.entry, b)])) })) };
    default:
      return null;
  }
}

/**
 * The regression case of a finding: `raw` (the generated case, as run) with the base's errnos and,
 * at the plan step `differs.step` (null: none to write, e.g. the change crashed), the base's view
 * (`differs.line`: the base's line that differs, which picks the field of smaps and rollup).
 * The steps under `claimed` (top-level paths, `steps[3]`: the model's claims) keep their errno as written.
 */
export function regressionCase(raw: RawCase, compiled: CompiledCase, record: CaseRecord, differs: { step: number; line: string | null } | null, claimed: readonly string[] = []): RawCase {
  // A copy whose steps are distinct objects (the generator shares one `record: all` value among its steps).
  const out = JSON.parse(JSON.stringify(raw)) as RawCase;
  const w = record.window;
  const expects = new Map<RawStep, Record<string, unknown>>();
  for (const s of compiled.steps) {
    const rec = record.steps.get(s.op.step);
    const item = itemAt(out, s.origin.path);
    if (!rec || !item) continue;
    const kind = s.origin.step.kind;
    if (s.check.kind === 'outcome' && rec.errno !== 0 && !claimed.some((c) => s.origin.path === c || s.origin.path.startsWith(`${c}.`))) (item[kind] as Record<string, unknown>).errno = errnoName(rec.errno) ?? String(rec.errno);
    if (s.op.step === differs?.step && w && kind === 'expect') {
      const view = s.op.op === 'fork-points' ? forkPointsSince(compiled, record, s, out, expects) : viewExpectation(s, rec, w, differs.line);
      if (view) expects.set(item, { ...expects.get(item), ...mergeViews(expects.get(item), view) });
    }
  }
  const rewrite = (steps: RawStep[]): RawStep[] =>
    steps.flatMap((item) => {
      if ('fork' in item) {
        const f = item['fork'] as { child: RawStep[]; parent?: RawStep[] };
        return [{ fork: { child: rewrite(f.child), ...(f.parent ? { parent: rewrite(f.parent) } : {}) } }];
      }
      if (isRecordAll(item)) {
        const e = expects.get(item);
        return e ? [{ expect: e }] : [];
      }
      return [item];
    });
  const steps = rewrite(out.steps);
  // Only `record` steps, none of which is kept (a kernel report: nothing to compare): a case needs a
  // step, and the bare window has no case VMA on any kernel; the run itself brings the report.
  return { ...out, steps: steps.length ? steps : [{ expect: { vmas: 0 } }] };
}

/**
 * A fork-points count that differs: no count is the same on every kernel, so the expectation is the
 * base's change since the process's fork-points count before it (saved there as `before`), which
 * the change does not share (the steps before are the first difference's, so both kernels agreed
 * there). Null when it is the process's first count (a change to every fork's cost shows in none).
 */
function forkPointsSince(compiled: CompiledCase, record: CaseRecord, s: CompiledStep, out: RawCase, expects: Map<RawStep, Record<string, unknown>>): Record<string, unknown> | null {
  const earlier = compiled.steps.filter((x) => x.op.op === 'fork-points' && x.op.step < s.op.step && x.origin.proc === s.origin.proc).at(-1);
  const [now, then] = [record.steps.get(s.op.step), earlier && record.steps.get(earlier.op.step)];
  const item = earlier && itemAt(out, earlier.origin.path);
  if (!now || !then || !item || then.errno !== 0) return null;
  expects.set(item, { ...expects.get(item), fork_points: { save: 'before' } });
  return { fork_points: { since: 'before', added: now.ret - then.ret } };
}

/** Two view expectations of one step merged (lists appended). */
function mergeViews(a: Record<string, unknown> | undefined, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Array.isArray(v) && Array.isArray(out[k]) ? [...(out[k] as unknown[]), ...v] : v;
  return out;
}
