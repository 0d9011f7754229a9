// Kernel log lines of a case: from its `K` records (/dev/kmsg) or from the console.
import type { KmsgRecord } from '../results/types.js';

/** One line of the kernel log, timestamp removed. */
export interface LogLine {
  /** µs since boot, when known. */
  usec: number | null;
  text: string;
}

/** `\xNN` escapes of /dev/kmsg back to bytes (latin1, like the console). */
export function unescapeKmsg(text: string): string {
  return text.replace(/\\x([0-9a-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The lines of the K records; a record with embedded newlines gives several lines. */
export function kmsgLines(records: readonly KmsgRecord[]): LogLine[] {
  return records.flatMap((r) => unescapeKmsg(r.text).split('\n').map((text) => ({ usec: r.usec, text })));
}

const CONSOLE_LINE = /^\[\s*(\d+)\.(\d{6})\] (.*)$/;

/** The kernel's lines of a console log (`[    1.234567] text`; printk.time=1); other lines (the supervisor's own) are dropped. */
export function consoleLines(consoleText: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of consoleText.split('\n')) {
    const m = CONSOLE_LINE.exec(raw.replace(/\r+$/, ''));
    if (m) out.push({ usec: Number(m[1]) * 1_000_000 + Number(m[2]), text: m[3] ?? '' });
  }
  return out;
}

/** `[    1.234567] text`, as the console shows it. */
export function formatLogLine(l: LogLine): string {
  if (l.usec === null) return l.text;
  const s = Math.floor(l.usec / 1_000_000);
  return `[${String(s).padStart(5)}.${String(l.usec % 1_000_000).padStart(6, '0')}] ${l.text}`;
}
