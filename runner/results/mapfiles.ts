// /proc/PID/map_files lookups (kernel-behaviour.md MF2–MF4), from the `L` record of a `mapfile` step.
import { bytesText, hexBytes, ObservationError } from './observe.js';

export interface MapFileResult {
  /** The entry name looked up (after `/proc/self/map_files/`). */
  name: string;
  /** errno of readlink(), 0 on success. */
  readlinkErrno: number;
  /** The link target, when readlink() succeeded. */
  target: string | null;
  /** errno of open(O_RDONLY) through the link, 0 when it opened. */
  openErrno: number;
}

const L = /^([0-9]+) ([0-9]+) (-|[0-9a-f]+) ([0-9a-f]+)$/;

/** One `L` record's text (after `L <step> `). */
export function parseMapFileRecord(text: string): MapFileResult {
  const m = L.exec(text);
  if (!m) throw new ObservationError('map_files', text, 'expected `<readlink errno> <open errno> <target hex> <name hex>`');
  const target = hexBytes(m[3] ?? '');
  const name = hexBytes(m[4] ?? '');
  if (target === null || name === null) throw new ObservationError('map_files', text, 'bad hex');
  const readlinkErrno = Number(m[1]);
  return { name: bytesText(name), readlinkErrno, target: readlinkErrno === 0 ? bytesText(target) : null, openErrno: Number(m[2]) };
}
