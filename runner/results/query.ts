// PROCMAP_QUERY results (kernel-behaviour.md Q1–Q5), from the `Q` record of a `query` step.
import { bytesText, hexBytes, ObservationError } from './observe.js';

/** The out fields of `struct procmap_query` after a successful ioctl. */
export interface QueryResult {
  start: bigint;
  end: bigint;
  /** PROCMAP_QUERY_VMA_* bits: 1 readable, 2 writable, 4 executable, 8 shared. */
  vmaFlags: number;
  pageSize: number;
  offset: bigint;
  inode: bigint;
  devMajor: number;
  devMinor: number;
  /** vma_name_size as the kernel set it: strlen + 1, 0 when the VMA has no name. */
  nameSize: number;
  buildIdSize: number;
  /** The bytes the kernel wrote to the name buffer (vma_name_size of them, the NUL included). */
  nameBytes: Uint8Array;
}

const Q = /^([0-9a-f]+) ([0-9a-f]+) ([0-9]+) ([0-9]+) ([0-9a-f]+) ([0-9]+) ([0-9]+) ([0-9]+) ([0-9]+) ([0-9]+) (-|[0-9a-f]+)$/;

/** One `Q` record's text (after `Q <step> `). */
export function parseQueryRecord(text: string): QueryResult {
  const m = Q.exec(text);
  if (!m) throw new ObservationError('query', text, 'expected 10 numbers and the name in hex');
  const [, start = '', end = '', flags = '', pageSize = '', offset = '', inode = '', major = '', minor = '', nameSize = '', buildId = '', name = ''] = m;
  const nameBytes = hexBytes(name);
  if (nameBytes === null) throw new ObservationError('query', text, 'the name is not hex');
  return {
    start: BigInt(`0x${start}`),
    end: BigInt(`0x${end}`),
    vmaFlags: Number(flags),
    pageSize: Number(pageSize),
    offset: BigInt(`0x${offset}`),
    inode: BigInt(inode),
    devMajor: Number(major),
    devMinor: Number(minor),
    nameSize: Number(nameSize),
    buildIdSize: Number(buildId),
    nameBytes,
  };
}

/** The name text without its terminating NUL, and whether the NUL was there. */
export function queryName(r: QueryResult): { text: string; terminated: boolean } {
  const b = r.nameBytes;
  if (b.length === 0) return { text: '', terminated: true };
  const terminated = b[b.length - 1] === 0;
  return { text: bytesText(terminated ? b.subarray(0, b.length - 1) : b), terminated };
}

/** PROCMAP_QUERY_VMA_* bits as the words the case grammar uses, in bit order. */
export const VMA_FLAG_WORDS: readonly [string, number][] = [
  ['readable', 0x1],
  ['writable', 0x2],
  ['executable', 0x4],
  ['shared', 0x8],
];

export const vmaFlagWords = (bits: number): string[] => VMA_FLAG_WORDS.filter(([, b]) => (bits & b) !== 0).map(([w]) => w);
