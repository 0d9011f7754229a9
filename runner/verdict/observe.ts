// The observation checks of an `expect` step, dispatched by plan op: the maps-based ones
// (contains, maps_line) with the snapshot, the others with their own ops' records.
import type { Expectation } from '../cases/types.js';
import type { ObserveOp } from '../plan/observe-ops.js';
import type { StepOrigin } from '../plan/plan.js';
import { parseMapFileRecord } from '../results/mapfiles.js';
import { MapsLineError } from '../results/maps.js';
import { obsTexts, ObservationError } from '../results/observe.js';
import { parsePagemap } from '../results/pagemap.js';
import { parseQueryRecord } from '../results/query.js';
import { parseRollup, parseSmaps } from '../results/smaps.js';
import type { CaseRecord, ObservedVma, StepRecord, WindowInfo } from '../results/types.js';
import { errnoText } from './errno.js';
import { judgeContains, judgeMapsLines } from './maps-extra.js';
import { judgeMapFile } from './mapfiles.js';
import { judgePagemap } from './pagemap.js';
import { judgeQuery } from './query.js';
import type { ObserveWhere } from './observe-failure.js';
import { judgeRollup, judgeSmaps } from './smaps.js';
import type { Failure } from './types.js';

/** `contains` and `maps_line` of an expect step, against its snapshot (`actual`: the window layout, reserve excluded). */
export function judgeSnapshotObservations(expect: Expectation, maps: readonly string[], actual: ObservedVma[], window: WindowInfo, where: ObserveWhere): Failure[] {
  const o = expect.observe;
  if (!o) return [];
  return [...(o.contains ? judgeContains(o.contains, actual, window, where) : []), ...(o.mapsLines ? judgeMapsLines(o.mapsLines, maps, window, where) : [])];
}

/** The failures of one observation op's records. */
export function judgeObservation(op: ObserveOp, origin: StepOrigin, rec: StepRecord, record: CaseRecord): Failure[] {
  const where: ObserveWhere = { path: origin.path, proc: origin.proc, step: op.step };
  const harness = (message: string): Failure[] => [
    { kind: 'harness', message: `${origin.path} (${origin.proc}) plan step ${op.step} ${op.op}: ${message}`, path: origin.path, proc: origin.proc, step: op.step },
  ];
  const o = origin.step.kind === 'expect' ? origin.step.expect.observe : undefined;
  if (!o) return harness('the step has no observation expectations: compiler bug');
  const window = record.window;
  if (!window) return harness('no W record: the window was never reserved');
  try {
    switch (op.op) {
      case 'smaps':
        if (rec.errno !== 0) return harness(`reading /proc/self/smaps failed: ${errnoText(rec.errno)}`);
        return judgeSmaps(o.smaps, o.smapsFields, parseSmaps(obsTexts(rec.obs, 'A')), window, where);
      case 'rollup':
        if (rec.errno !== 0) return harness(`reading /proc/self/smaps_rollup failed: ${errnoText(rec.errno)}`);
        if (!o.rollup) return harness('no rollup expectation: compiler bug');
        return judgeRollup(o.rollup, parseRollup(obsTexts(rec.obs, 'U')), rec.maps, where);
      case 'query': {
        const q = o.query?.[op.item];
        if (!q) return harness(`no query item ${op.item}: compiler bug`);
        const texts = obsTexts(rec.obs, 'Q');
        if (texts.length > 1) return harness(`${texts.length} Q records, expected at most one`);
        if (rec.errno === 0 && texts.length === 0) return harness('the ioctl succeeded but no Q record came');
        const first = texts[0];
        return judgeQuery(q, op.item, rec.errno, first === undefined ? null : parseQueryRecord(first), window, where);
      }
      case 'mapfile': {
        const m = o.mapFiles?.[op.item];
        if (!m) return harness(`no map_files item ${op.item}: compiler bug`);
        const texts = obsTexts(rec.obs, 'L');
        const first = texts[0];
        if (texts.length !== 1 || first === undefined) return harness(`${texts.length} L records, expected one`);
        return judgeMapFile(m, op.item, parseMapFileRecord(first), where);
      }
      case 'pagemap': {
        const p = o.pagemap?.[op.item];
        if (!p) return harness(`no pagemap item ${op.item}: compiler bug`);
        if (rec.errno !== 0) return harness(`reading /proc/self/pagemap failed: ${errnoText(rec.errno)}`);
        const entries = parsePagemap(obsTexts(rec.obs, 'P'));
        if (entries.length !== p.range.pages) return harness(`${entries.length} pagemap entries for ${p.range.pages} pages`);
        return judgePagemap(p, op.item, entries, where);
      }
    }
  } catch (e) {
    if (e instanceof ObservationError || e instanceof MapsLineError) return harness(e.message);
    throw e;
  }
}
