// What the guest reported for each case, parsed from the result stream (docs/protocol.md).
import type { ObsLine } from './observe.js';

/** One step's record; `maps` holds the raw maps lines of a snapshot step. */
export interface StepRecord {
  step: number;
  ret: number;
  errno: number;
  maps: string[];
  /** Raw wait status, for a `wait` step. */
  waitStatus?: number;
  /** Observation records of the step (`A`, `U`, `Q`, `L`, `P`), in stream order: runner/results/observe.ts. */
  obs?: ObsLine[];
}

export type CaseEnd =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signo: number }
  | { kind: 'timeout' }
  /** killed at its timeout, it did not die (stuck in the kernel, e.g. D state): the kernel hung it. */
  | { kind: 'hung' };

/** One kernel log record of a case (`K`), as /dev/kmsg gave it; `text` still escaped (`\xNN`). */
export interface KmsgRecord {
  seq: number;
  /** Console log level 0-7. */
  level: number;
  /** Timestamp in µs since boot. */
  usec: number;
  text: string;
}

export interface WindowInfo {
  base: bigint;
  pages: number;
  pageSize: number;
  reserveNamed: boolean;
}

/** An area's extent as the probe first saw it (`Z`): [lo, hi), equal when it had no VMA (the heap before brk grows it). */
export interface AreaExtent {
  lo: bigint;
  hi: bigint;
}

/** Everything one case produced in the guest. `end` is null when the guest died during it. */
export interface CaseRecord {
  index: number;
  taintBefore: number;
  taintAfter: number | null;
  window: WindowInfo | null;
  /** The heap and the stack as first seen (`Z` records), by area; absent before the probe wrote them. */
  firstLook?: Map<string, AreaExtent>;
  steps: Map<number, StepRecord>;
  /** Pid of each forked child, by the step number of its `C` record (the `fork` step). */
  children: Map<number, number>;
  broken: string[];
  /** A custom probe's output lines (`O` records), in order. */
  output: string[];
  /** The kernel log records of the case (`K`), in order; absent when the guest sent none. */
  kmsg?: KmsgRecord[];
  /** `K overrun` / `K dropped <n>`: records the case lost (overwritten in the ring buffer, or past the limit). */
  kmsgLost?: string[];
  end: CaseEnd | null;
  durationUs: number | null;
  /** Of durationUs, the time the guest's CPU was idle (the case waited); null when not reported (the host supervisor, an older stream). */
  idleUs: number | null;
}

/** A line of the stream that was not used, with why. */
export interface GarbageLine {
  /** 1-based line number in the stream text. */
  line: number;
  text: string;
  reason: string;
}

export interface ResultStream {
  /** False when no `vmaspec-results 1` header was found: nothing was parsed. */
  header: boolean;
  cases: CaseRecord[];
  /** True when the supervisor wrote `D`: every case ran. */
  complete: boolean;
  /** `B` records written outside any case (supervisor-level harness failures). */
  broken: string[];
  /** Lines that did not parse or did not fit where they were, with their 1-based line numbers. */
  garbage: GarbageLine[];
  /** The last line when it had no `\n` (the guest died mid-line); it is never parsed. */
  truncated: { line: number; text: string } | null;
}

/** One line of /proc/PID/maps (kernel-behaviour.md F1–F3). */
export interface MapsEntry {
  start: bigint;
  end: bigint;
  /** `rwxp` style: three of `rwx`/`-` then `s` or `p`. */
  perms: string;
  /** The pgoff column, in bytes. */
  offset: bigint;
  devMajor: number;
  devMinor: number;
  inode: bigint;
  /** The name column without its padding; "" for an unnamed anonymous VMA. */
  name: string;
}

/** A VMA of a snapshot, in page units relative to page 0 of the window. */
export interface ObservedVma {
  /** First page; negative when the VMA starts before the window. */
  at: number;
  pages: number;
  perms: string;
  name: string;
  /** Start address, `0x` hex. */
  address: string;
  /** The maps line as the guest sent it. */
  line: string;
}
