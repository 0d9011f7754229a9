// The observation expectations of an `expect` step (cases/README.md, "Observations"):
// what a case says about smaps, smaps_rollup, raw maps lines, PROCMAP_QUERY, map_files
// and pagemap, after validation. Grammar: runner/cases/expect-observe.ts.
import type { MapFileSpelling, QueryFile, QueryNameAddr } from '../plan/observe-ops.js';
import type { PagemapBit } from '../results/pagemap.js';
import type { ExpectedVma, PageRange, SourcePos } from './shared-types.js';

/**
 * Which VMA an expectation speaks of: the one holding window page `at` (a region's first page,
 * or `page` of it). With `pages` it must also start there and span exactly that many pages.
 */
export interface VmaSelector {
  at: number;
  pages: number | null;
}

/** One term of an operand: `sign × (field or constant) × mul / div`. */
export interface Term {
  sign: 1 | -1;
  /** A field of the same VMA (or of the rollup); null for a constant. */
  field: string | null;
  value: number;
  mul: number;
  div: number;
}

/** A number, or an expression over other fields such as `Rss/2` or `Shared_Dirty + Private_Dirty`. */
export interface Operand {
  /** As written, for messages. */
  text: string;
  terms: Term[];
}

export const CHECK_OPS = ['eq', 'ne', 'min', 'max', 'lt', 'gt'] as const;
export type CheckOp = (typeof CHECK_OPS)[number];

/** Bounds a number must meet, all of them: `eq`, `ne`, `min` (>=), `max` (<=), `lt`, `gt`. */
export type NumberCheck = Partial<Record<CheckOp, Operand>>;

/** VmFlags: the exact list (in printed order), or codes it must have and must lack. */
export interface FlagsCheck {
  exact?: string[];
  has?: string[];
  lacks?: string[];
}

export interface SmapsExpect {
  vma: VmaSelector;
  /** Checks by field name (F7 names, as the kernel prints them). */
  fields: [string, NumberCheck][];
  vmFlags?: FlagsCheck;
  /** The name column of the block's header line (F6: the maps text). */
  name?: string;
  pos: SourcePos;
}

export interface RollupExpect {
  /** The header line, byte-exact after `{first_start}`, `{stack_end}`, `{last_end}` are replaced (F8). */
  header?: string;
  /** The exact field names in order. */
  order?: string[];
  fields: [string, NumberCheck][];
  pos: SourcePos;
}

export interface MapsLineExpect {
  vma: VmaSelector;
  /** The maps line, byte-exact (F1–F3: padding, the trailing space of an unnamed VMA). */
  line: string;
  /** `maps_line` (one mapping) or `maps_line[i]` (a list), for failure paths. */
  key: string;
  pos: SourcePos;
}

/** What a PROCMAP_QUERY item expects back, when the ioctl succeeds. */
export interface QueryOut {
  /** Window pages of vma_start and vma_end (end exclusive); negative before page 0. */
  start?: number;
  end?: number;
  /** The name text without its NUL (F6, Q4). */
  name?: string;
  nameSize?: NumberCheck;
  /** vma_flags as words: readable, writable, executable, shared (exact set). */
  vmaFlags?: string[];
  offset?: NumberCheck;
  inode?: NumberCheck;
  /** `MAJ:MIN` in hex, as maps prints it. */
  dev?: string;
  pageSize?: NumberCheck;
  buildIdSize?: NumberCheck;
}

export interface QueryExpect {
  file: QueryFile;
  /** query_addr: window page and byte offset inside it. */
  at: number;
  offset: number;
  /** query_flags, and the words they were written as (for messages). */
  flags: number;
  flagWords: string[];
  nameBuf: number;
  nameAddr: QueryNameAddr;
  size: number;
  tail: boolean;
  buildIdSize: number;
  /** Expected errno name, or null for success. */
  errno: string | null;
  out: QueryOut;
  pos: SourcePos;
}

export interface MapFileExpect {
  /** The VMA holding this window page gives the entry name. */
  at: number;
  spelling: MapFileSpelling;
  /** readlink succeeds (true) or fails with ENOENT (false). */
  present?: boolean;
  /** readlink fails with this errno. */
  errno?: string;
  /** The readlink target. */
  link?: string;
  /** Opening through the link: `ok`, or the errno name it fails with. */
  open?: string;
  pos: SourcePos;
}

export interface PagemapExpect {
  range: PageRange;
  bits: [PagemapBit, boolean][];
  pos: SourcePos;
}

export interface ObserveExpectation {
  /** These VMAs appear among the window's, in order; others may be between them. */
  contains?: ExpectedVma[];
  mapsLines?: MapsLineExpect[];
  smaps?: SmapsExpect[];
  /** The exact field names, in order, of every window VMA's smaps block (F7). */
  smapsFields?: { names: string[]; pos: SourcePos };
  rollup?: RollupExpect;
  query?: QueryExpect[];
  mapFiles?: MapFileExpect[];
  pagemap?: PagemapExpect[];
}

/** The keys an `expect` step takes for observations (besides layout, vmas, special). */
export const OBSERVE_KEYS = ['contains', 'maps_line', 'smaps', 'smaps_fields', 'rollup', 'query', 'map_files', 'pagemap'] as const;
