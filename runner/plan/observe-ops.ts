// The observation ops of the plan (docs/protocol.md): what an `expect` step needs the
// probe to read beyond /proc/self/maps, defined as their arguments (./args.ts), and the
// words of their arguments, which the case language takes as they are.

import { arg, bool, flags, op, signed, u32, unsigned, word, wordList, type OpsOf } from './args.js';

/** smaps fields per VMA, in the order 6.12 prints them (kernel-behaviour.md F7); ProtectionKey only with PKU. */
export const SMAPS_FIELDS = [
  'Size', 'KernelPageSize', 'MMUPageSize', 'Rss', 'Pss', 'Pss_Dirty', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean',
  'Private_Dirty', 'Referenced', 'Anonymous', 'KSM', 'LazyFree', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped',
  'Shared_Hugetlb', 'Private_Hugetlb', 'Swap', 'SwapPss', 'Locked', 'THPeligible', 'ProtectionKey',
] as const;
/** The lines of a smaps block after its header that a `smaps` op can send alone: the fields and VmFlags. */
export const SMAPS_LINES = wordList('smaps_line', [...SMAPS_FIELDS, 'VmFlags'] as const);
export type SmapsLine = (typeof SMAPS_LINES.words)[number];

/** The files a PROCMAP_QUERY ioctl is issued on (`/proc/self/<file>`). */
export const QUERY_FILES = ['maps', 'smaps', 'smaps_rollup'] as const;
export type QueryFile = (typeof QUERY_FILES)[number];
/** What `vma_name_addr` points to: the probe's buffer, NULL, or an unreadable page. */
export const QUERY_NAME_ADDRS = ['buf', 'null', 'bad'] as const;
export type QueryNameAddr = (typeof QUERY_NAME_ADDRS)[number];
/** How a map_files entry name is spelt from the VMA's start and end (kernel-behaviour MF3). */
export const MAPFILE_SPELLINGS = ['exact', 'upper', 'leading_zero', '0x', 'digits17', 'space', 'plus'] as const;
export type MapFileSpelling = (typeof MAPFILE_SPELLINGS)[number];

/** The areas whose pages a case counts from their first look (the probe's `Z` records): `target: heap | stack`. */
export const PAGE_AREAS = ['heap', 'stack'] as const;
export type PageArea = (typeof PAGE_AREAS)[number];
/** `heap` or `stack`; C: enum page_area. */
export const pageArea = word(wordList('page_area', PAGE_AREAS));

/** The observation ops, members of the plan's op table. */
export const OBSERVE_OPS = {
  /** `lines`: the lines of each block to send after its header (`-`: every line; a check of the field order needs them all). */
  smaps: op([arg('lines', flags(SMAPS_LINES))]),
  rollup: op([]),
  /** `start`: byte offset of query_addr from page 0; `tail`: a non-zero byte right after the 104-byte struct. */
  query: op(
    [
      arg('file', word(wordList('query_file', QUERY_FILES))),
      arg('start', signed),
      arg('flags', unsigned),
      arg('nameBuf', u32),
      arg('nameAddr', word(wordList('query_name_addr', QUERY_NAME_ADDRS))),
      arg('size', unsigned),
      arg('tail', bool('0', '1')),
      arg('buildIdSize', u32),
    ],
    { check: true },
  ),
  mapfile: op([arg('start', signed), arg('spelling', word(wordList('mapfile_spelling', MAPFILE_SPELLINGS)))]),
  pagemap: op([arg('at', signed), arg('pages', unsigned)]),
  /** The smaps block of the VMA holding the heap's first page or the top page of [stack], as first seen (`A`). */
  'smaps-area': op([arg('area', pageArea)]),
  /** `first`: a page offset from the area's first look (negative: below the stack); `P` records carry the offset. */
  'pagemap-area': op([arg('area', pageArea), arg('first', signed), arg('pages', unsigned)]),
  /** prctl(PR_GET_MEMORY_MERGE): `S <step> <0|1> 0`. */
  'mmerge-get': op([]),
  /** The fault-injection points a fork of the process reaches (K4): `S <step> <points> 0`. */
  'fork-points': op([]),
  /** The first byte of each page, read under the fault guard (`R` records). */
  peek: op([arg('at', signed), arg('pages', unsigned)]),
};

export type ObserveOp = OpsOf<typeof OBSERVE_OPS>;
