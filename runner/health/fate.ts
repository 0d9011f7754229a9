// What became of each case of a boot, from two witnesses: the result stream (the
// supervisor's `T … begin/end` records) and the console's case marks (`vmaspec: case <i>
// begin/end`, written to the kernel log around each case). A guest that dies can take the
// last records of the stream with it, but the kernel flushes its log to the console as it
// dies, so the marks say which case was running: only that case is blamed, and a case the
// console saw end whose end record never arrived is run again, not judged on half a record.
import type { CaseRecord, ResultStream } from '../results/types.js';
import type { Attribution } from './attribute.js';

export type CaseFate =
  /** Its end record arrived: judge it. */
  | 'ended'
  /** The guest died while it ran: `crashed`. */
  | 'died'
  /** It ended (the console says so), but its end record was lost with the guest: run it again. */
  | 'lost'
  /** It never began: run it in the next boot. */
  | 'not-run';

/** The fate of each of `indices` (the boot's cases, in manifest order). */
export function caseFates(indices: readonly number[], stream: ResultStream, marks: Pick<Attribution, 'cases' | 'ended'>): Map<number, CaseFate> {
  const fates = new Map<number, CaseFate>();
  const inStream = new Map(stream.cases.map((r) => [r.index, r]));
  let running: number | null = null; // the last case that began and did not end, by either witness
  for (const index of indices) {
    const record = inStream.get(index);
    if (record?.end) fates.set(index, 'ended');
    else if (marks.ended.has(index)) fates.set(index, 'lost');
    else if (record || marks.cases.has(index)) {
      if (running !== null) fates.set(running, 'lost'); // a later case began: this one did not die in the guest's death
      fates.set(index, 'died');
      running = index;
    } else fates.set(index, 'not-run');
  }
  if (stream.complete && running !== null) fates.set(running, 'lost'); // `D` came: nobody died
  return fates;
}

/** The record of a case the guest died in whose begin record was lost too: the console's begin mark is all there is. */
export function diedRecord(index: number): CaseRecord {
  return { index, taintBefore: 0, taintAfter: null, window: null, steps: new Map(), children: new Map(), broken: [], output: [], end: null, durationUs: null, idleUs: null };
}
