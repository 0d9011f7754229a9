// The observation ops of an `expect` step (smaps, smaps-area, smaps_rollup, PROCMAP_QUERY, map_files,
// pagemap, pagemap-area, peek): each op's records read and judged against its check.
import type { CheckOf } from '../plan/compiled.js';
import { parseMapFileRecord } from '../results/mapfiles.js';
import { MapsLineError } from '../results/maps.js';
import { obsTexts, ObservationError } from '../results/observe.js';
import { parsePagemap } from '../results/pagemap.js';
import { parsePeek } from '../results/peek.js';
import { parseQueryRecord } from '../results/query.js';
import { parseRollup, parseSmaps } from '../results/smaps.js';
import type { StepRecord, WindowInfo } from '../results/types.js';
import { judgeData } from './data.js';
import { errnoText } from '../abi/errno.js';
import type { StepWhere } from './failure.js';
import { judgeMapFile } from './mapfiles.js';
import { judgePagemap } from './pagemap.js';
import { judgeQuery } from './query.js';
import { judgeRollup, judgeSmaps, judgeSmapsArea } from './smaps.js';
import { judgeNoMapFile } from './mapfiles.js';
import type { Failure } from './types.js';

/** The checks of the observation ops. */
export type ObserveCheck = CheckOf<'smaps' | 'smaps_area' | 'rollup' | 'query' | 'map_files' | 'pagemap' | 'data'>;

/**
 * The failures of one observation op's records; `harness` makes the failure of a record the
 * probe did not write as the protocol says (it names the plan step).
 */
export function judgeObservation(check: ObserveCheck, rec: StepRecord, window: WindowInfo, where: StepWhere, harness: (message: string) => Failure[]): Failure[] {
  try {
    switch (check.kind) {
      case 'smaps':
        if (rec.errno !== 0) return harness(`reading /proc/self/smaps failed: ${errnoText(rec.errno)}`);
        return judgeSmaps(check, parseSmaps(obsTexts(rec.obs, 'A')), window, where);
      case 'smaps_area': {
        if (rec.errno !== 0) return harness(`reading /proc/self/smaps failed: ${errnoText(rec.errno)}`);
        const blocks = parseSmaps(obsTexts(rec.obs, 'A'));
        if (blocks.length > 1) return harness(`${blocks.length} smaps blocks for one ${check.expect.area} VMA`);
        return judgeSmapsArea(check, blocks, where);
      }
      case 'rollup':
        if (rec.errno !== 0) return harness(`reading /proc/self/smaps_rollup failed: ${errnoText(rec.errno)}`);
        return judgeRollup(check, parseRollup(obsTexts(rec.obs, 'U')), rec.maps, where);
      case 'query': {
        const texts = obsTexts(rec.obs, 'Q');
        if (texts.length > 1) return harness(`${texts.length} Q records, expected at most one`);
        if (rec.errno === 0 && texts.length === 0) return harness('the ioctl succeeded but no Q record came');
        const first = texts[0];
        return judgeQuery(check, rec.errno, first === undefined ? null : parseQueryRecord(first), window, where);
      }
      case 'map_files': {
        if (rec.errno !== 0) return judgeNoMapFile(check, rec.errno, where);
        const texts = obsTexts(rec.obs, 'L');
        const first = texts[0];
        if (texts.length !== 1 || first === undefined) return harness(`${texts.length} L records, expected one`);
        return judgeMapFile(check, parseMapFileRecord(first), where);
      }
      case 'pagemap': {
        const pages = check.expect.range.pages;
        if (rec.errno !== 0) return harness(`reading /proc/self/pagemap failed: ${errnoText(rec.errno)}`);
        const entries = parsePagemap(obsTexts(rec.obs, 'P'));
        if (entries.length !== pages) return harness(`${entries.length} pagemap entries for ${pages} pages`);
        return judgePagemap(check, entries, where);
      }
      case 'data': {
        const { at, pages } = check.expect.source.range;
        if (rec.errno !== 0) return harness(`peek failed: ${errnoText(rec.errno)}`);
        const reads = parsePeek(obsTexts(rec.obs, 'R'));
        if (reads.length !== pages || reads.some((r, k) => r.page !== at + k)) return harness(`R records for pages ${reads.map((r) => r.page).join(' ') || 'none'}; expected one for each of pages ${at}-${at + pages - 1}`);
        return judgeData(check, reads, where);
      }
    }
  } catch (e) {
    if (e instanceof ObservationError || e instanceof MapsLineError) return harness(e.message);
    throw e;
  }
}
