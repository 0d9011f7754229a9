// Case files are UTF-8 text: bytes that are not are an error at their offset, found
// before YAML parsing (Node's decoder would silently replace them with U+FFFD).
import type { Diagnostic } from './diagnostics.js';

/** The offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. */
export function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte → continuation count, and the range of the second byte (no overlongs, surrogates or > U+10FFFF).
    const more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (more === 0) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    const second = b[i + 1];
    if (second === undefined || second < lo || second > hi) return i;
    for (let k = 2; k <= more; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
    }
    i += more + 1;
  }
  return -1;
}

/**
 * The text of a case file's bytes, or the diagnostic of its first byte that is not UTF-8:
 * `file:line:col` of that byte (col counts the characters before it on its line) and its offset.
 */
export function decodeCaseBytes(bytes: Uint8Array, file: string): { text: string } | { diagnostic: Diagnostic } {
  const bad = firstBadUtf8(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bad < 0) return { text: buf.toString('utf8') };
  const lineStart = bad === 0 ? 0 : buf.lastIndexOf(0x0a, bad - 1) + 1;
  const line = buf.subarray(0, lineStart).reduce((n, x) => n + (x === 0x0a ? 1 : 0), 1);
  const before = buf.subarray(lineStart, bad).toString('utf8');
  const lineEnd = buf.indexOf(0x0a, bad);
  const sourceLine = buf.subarray(lineStart, lineEnd < 0 ? buf.length : lineEnd).toString('utf8');
  const byte = (bytes[bad] ?? 0).toString(16).padStart(2, '0');
  const message = `invalid UTF-8 at byte ${bad} (0x${byte}); case files are UTF-8 text (raw name bytes are written { hex: "…" })`;
  return { diagnostic: { file, line, col: before.length + 1, path: '', message, sourceLine } };
}
