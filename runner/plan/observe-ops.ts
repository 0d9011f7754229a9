// The observation ops of the plan (docs/protocol.md): what an `expect` step needs the
// probe to read beyond /proc/self/maps, and their plan text.

/** The file a PROCMAP_QUERY ioctl is issued on. */
export type QueryFile = 'maps' | 'smaps' | 'smaps_rollup';
/** What `vma_name_addr` points to: the probe's buffer, NULL, or an unreadable page. */
export type QueryNameAddr = 'buf' | 'null' | 'bad';
/** How a map_files entry name is spelt from the VMA's start and end (kernel-behaviour MF3). */
export const MAPFILE_SPELLINGS = ['exact', 'upper', 'leading_zero', '0x', 'digits17', 'space', 'plus'] as const;
export type MapFileSpelling = (typeof MAPFILE_SPELLINGS)[number];

export type ObserveOp =
  | { op: 'smaps'; step: number }
  | { op: 'rollup'; step: number }
  | {
      op: 'query';
      step: number;
      file: QueryFile;
      /** Byte offset of query_addr from page 0 of the window. */
      start: number;
      flags: number;
      nameBuf: number;
      nameAddr: QueryNameAddr;
      size: number;
      /** A non-zero byte right after the 104-byte struct. */
      tail: boolean;
      buildIdSize: number;
    }
  | { op: 'mapfile'; step: number; start: number; spelling: MapFileSpelling }
  | { op: 'pagemap'; step: number; at: number; pages: number };

export type ObserveOpName = ObserveOp['op'];

export const OBSERVE_OPS: readonly ObserveOpName[] = ['smaps', 'rollup', 'query', 'mapfile', 'pagemap'];

/** The plan arguments of an observation op. */
export function observeOpArgs(op: ObserveOp): string[] {
  switch (op.op) {
    case 'smaps':
    case 'rollup':
      return [];
    case 'query':
      return [op.file, String(op.start), String(op.flags), String(op.nameBuf), op.nameAddr, String(op.size), op.tail ? '1' : '0', String(op.buildIdSize)];
    case 'mapfile':
      return [String(op.start), op.spelling];
    case 'pagemap':
      return [String(op.at), String(op.pages)];
  }
}
