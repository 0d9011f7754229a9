// Text shown to people: bytes outside printable ASCII become escapes, so a
// DEL or a control character in a VMA name is seen, not swallowed by the terminal.

/** `s` with `\\`, and every character outside 0x20–0x7e, escaped (`\x7f`, `\n`, `\u00e9`). */
export function visible(s: string): string {
  return s.replace(/[^\x20-\x5b\x5d-\x7e]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A value in a failure message: strings quoted with escapes, numbers as they are. */
export const quoted = (v: string | number): string => (typeof v === 'string' ? `"${visible(v).replaceAll('"', '\\"')}"` : String(v));
