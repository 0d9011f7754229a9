// The first bytes of pages as a `peek` op read them (kernel-behaviour.md D1–D5), from the `R`
// records of its step: `R <step> <page> <byte|-1>`, -1 when the read faulted.
import { ObservationError } from './observe.js';

/** What one read of a window page's first byte gave: the byte, or null when the read faulted. */
export interface PageRead {
  page: number;
  byte: number | null;
}

const R = /^(-?(?:0|[1-9][0-9]*)) (-1|0|[1-9][0-9]{0,2})$/;

/** The texts of a step's `R` records, in order. */
export function parsePeek(texts: readonly string[]): PageRead[] {
  return texts.map((text) => {
    const m = R.exec(text);
    const byte = Number(m?.[2]);
    if (!m || byte > 255) throw new ObservationError('peek', text, 'expected `<page> <byte 0..255 or -1>`');
    return { page: Number(m[1]), byte: byte < 0 ? null : byte };
  });
}
