// /proc/PID/pagemap entries (kernel-behaviour.md PG1), from the `P` records of a `pagemap` step.
import { ObservationError } from './observe.js';

/** The flag bits of a pagemap entry the case grammar names (Documentation/admin-guide/mm/pagemap.rst). */
export const PAGEMAP_BITS = {
  present: 63n,
  swapped: 62n,
  file_shared: 61n,
  exclusive: 56n,
  soft_dirty: 55n,
} as const;
export type PagemapBit = keyof typeof PAGEMAP_BITS;
export const PAGEMAP_BIT_NAMES = Object.keys(PAGEMAP_BITS) as PagemapBit[];

export interface PagemapEntry {
  /** Window page. */
  page: number;
  entry: bigint;
}

const P = /^(-?[0-9]+) ([0-9a-f]{1,16})$/;

/** The texts of a step's `P` records, in order. */
export function parsePagemap(texts: readonly string[]): PagemapEntry[] {
  return texts.map((text) => {
    const m = P.exec(text);
    if (!m) throw new ObservationError('pagemap', text, 'expected `<page> <entry hex>`');
    return { page: Number(m[1]), entry: BigInt(`0x${m[2]}`) };
  });
}

export const pagemapBit = (entry: bigint, bit: PagemapBit): boolean => ((entry >> PAGEMAP_BITS[bit]) & 1n) === 1n;

/** Bits 0–54: the PFN when present (0 without CAP_SYS_ADMIN), else the swap type and offset. */
export const pagemapPfn = (entry: bigint): bigint => entry & ((1n << 55n) - 1n);
