// What of a failed boot's kernel console goes into the error: its last lines,
// and the line that says why (a panic, an Oops, a BUG) when the backtrace and
// the panic's own lines pushed it out of them.
import { matchLine } from '../health/scan.js';

/** The printk timestamp in front of a console line. */
const TIMESTAMP = /^\[\s*\d+\.\d+\]\s?/;

/** The first kernel report line of a console that is not a WARNING (a boot goes on after one): a panic, an Oops, a BUG, KASAN … */
export function firstFatalLine(lines: readonly string[]): number {
  return lines.findIndex((line) => {
    const m = matchLine(line.replace(TIMESTAMP, ''));
    return m !== null && m.pattern.kind !== 'warning';
  });
}

/** The last `count` lines of `consoleText`, preceded by its first fatal line (and `…`) when that line is earlier. */
export function failureTail(consoleText: string, count = 15): string[] {
  const lines = consoleText.trimEnd().split('\n');
  const tail = lines.slice(-count);
  const fatal = firstFatalLine(lines);
  if (fatal < 0 || fatal >= lines.length - tail.length) return tail;
  return [lines[fatal] ?? '', ...(fatal < lines.length - tail.length - 1 ? ['…'] : []), ...tail];
}
