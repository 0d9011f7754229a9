// Compares `expect.map_files` items (kernel-behaviour.md MF2–MF4) with the outcome of each
// lookup: readlink() of the entry and open() through it.
import type { MapFileExpect } from '../cases/expect-types.js';
import type { Expected } from '../plan/compiled.js';
import { errnoNumber, errnoText } from '../abi/errno.js';
import type { MapFileResult } from '../results/mapfiles.js';
import { quoted, visible } from '../util/text.js';
import { failer, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

const ENOENT = 2;

/** A map_files item at a page no VMA holds (the probe's `S <step> -1 ENOENT`): there is no entry to look up. */
export function judgeNoMapFile(check: Expected<MapFileExpect>, errno: number, where: StepWhere): Failure[] {
  const got = errno === ENOENT ? 'no VMA' : errnoText(errno);
  return [failer(where, check.pos)('map_files', check.path, `map_files of page ${check.expect.at}: no VMA holds the page, so there is no entry to look up`, 'a VMA', got)];
}

/** Failures of one map_files item against its lookup. */
export function judgeMapFile(check: Expected<MapFileExpect>, r: MapFileResult, where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const { path: base, expect: m } = check;
  const entry = `map_files/${visible(r.name)} (page ${m.at}, ${m.spelling})`;
  const got = r.readlinkErrno === 0 ? `a link to ${quoted(r.target ?? '')}` : errnoText(r.readlinkErrno);
  const out: Failure[] = [];
  if (m.present !== undefined) {
    const ok = m.present ? r.readlinkErrno === 0 : r.readlinkErrno === ENOENT;
    if (!ok) out.push(fail('map_files', `${base}.present`, `${entry}: expected ${m.present ? 'an entry' : 'no entry (ENOENT)'}, got ${got}`, m.present ? 'present' : 'ENOENT', got));
  }
  if (m.errno !== undefined && r.readlinkErrno !== errnoNumber(m.errno)) {
    out.push(fail('map_files', `${base}.errno`, `${entry}: readlink: expected ${m.errno}, got ${got}`, m.errno, got));
  }
  if (m.link !== undefined && r.target !== m.link) {
    out.push(fail('map_files', `${base}.link`, `${entry}: readlink: expected ${quoted(m.link)}, got ${got}`, m.link, r.target ?? got));
  }
  if (m.open !== undefined) {
    const want = m.open === 'ok' ? 0 : errnoNumber(m.open);
    if (r.openErrno !== want) out.push(fail('map_files', `${base}.open`, `${entry}: open: expected ${m.open === 'ok' ? 'success' : m.open}, got ${errnoText(r.openErrno)}`, m.open, errnoText(r.openErrno)));
  }
  return out;
}
