// The checks of an `expect` step's maps snapshot: the reserve, vmas, layout, contains, their holes
// and reserve ranges, maps_line.
import type { SnapshotCheck } from '../plan/compiled.js';
import { windowLayout, windowVmas } from '../results/maps.js';
import type { WindowInfo } from '../results/types.js';
import type { StepWhere } from './failure.js';
import { judgeLayout, judgeVmas } from './layout.js';
import { judgeContains, judgeMapsLine } from './maps-extra.js';
import { judgeReserve } from './reserve.js';
import { judgeSpan } from './span.js';
import type { Failure } from './types.js';

/**
 * The failures of a snapshot's checks, in their order; `reached`: the guard pages earlier steps
 * named. Throws MapsLineError on a maps line off the format.
 */
export function judgeSnapshot(checks: readonly SnapshotCheck[], maps: readonly string[], window: WindowInfo, where: StepWhere, reached: readonly number[] = []): Failure[] {
  // The window's VMAs as layouts see them (the reserve excluded), and all that overlap it.
  const layout = windowLayout(maps, window, reached);
  const vmas = windowVmas(maps, window, reached);
  return checks.flatMap((check) => {
    switch (check.kind) {
      case 'reserve':
        return judgeReserve(maps, vmas, window, check, where, reached);
      case 'vmas':
        return judgeVmas(check, layout, where);
      case 'layout':
        return judgeLayout(check, layout, window, where);
      case 'contains':
        return judgeContains(check, layout, window, where);
      case 'span':
        return judgeSpan(check, vmas, window, maps, where);
      case 'maps_line':
        return judgeMapsLine(check, maps, vmas, where);
    }
  });
}
