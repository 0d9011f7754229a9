// Attribution of console lines to cases by the supervisor's marks in the kernel log,
// `vmaspec: case <i> begin` / `vmaspec: case <i> end` (c-helpers/init.c). For a guest
// that died during a case the console is the only copy of what the kernel said then.
import type { LogLine } from './log.js';

const MARK = /^vmaspec: case (\d+) (begin|end)$/;

/** The case index and edge of a mark line, or null. */
export function caseMark(text: string): { index: number; edge: 'begin' | 'end' } | null {
  const m = MARK.exec(text);
  return m ? { index: Number(m[1]), edge: m[2] as 'begin' | 'end' } : null;
}

export interface Attribution {
  /** Lines between a case's begin and end marks (to the end of the log when it never ended), marks excluded. */
  cases: Map<number, LogLine[]>;
  /** The cases whose end mark is on the console. */
  ended: Set<number>;
  /** Lines outside every case: boot, between cases, after the last. */
  outside: LogLine[];
}

export function attributeLines(lines: readonly LogLine[]): Attribution {
  const cases = new Map<number, LogLine[]>();
  const ended = new Set<number>();
  const outside: LogLine[] = [];
  let current: number | null = null;
  for (const line of lines) {
    const mark = caseMark(line.text);
    if (mark) {
      if (mark.edge === 'begin') {
        current = mark.index;
        if (!cases.has(current)) cases.set(current, []);
      } else {
        ended.add(mark.index);
        if (mark.index === current) current = null;
      }
      continue;
    }
    if (current === null) outside.push(line);
    else cases.get(current)?.push(line);
  }
  return { cases, ended, outside };
}

/** The lines of a case's own K records, its marks removed. */
export function withoutMarks(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((l) => caseMark(l.text) === null);
}
