// Parser of the guest's result stream (docs/protocol.md, "Result stream").
import type { AreaExtent, CaseEnd, CaseRecord, KmsgRecord, ResultStream, StepRecord, WindowInfo } from './types.js';
import { OBS_LETTERS, type ObsLetter, type ObsLine } from './observe.js';

export const RESULTS_MAGIC = 'vmaspec-results 1';

type Rec =
  | { t: 'begin'; index: number; taint: number }
  | { t: 'end'; index: number; end: CaseEnd; taint: number; durationUs: number; idleUs: number | null }
  | { t: 'W'; window: WindowInfo }
  | { t: 'Z'; area: string; extent: AreaExtent }
  | { t: 'S'; step: number; ret: number; errno: number }
  | { t: 'M'; step: number; line: string }
  | { t: 'obs'; letter: ObsLetter; step: number; text: string }
  | { t: 'C'; step: number; pid: number }
  | { t: 'X'; step: number; status: number }
  | { t: 'B'; message: string }
  | { t: 'O'; text: string }
  | { t: 'K'; rec: KmsgRecord }
  | { t: 'Klost'; what: string }
  | { t: 'D' };

const UINT = '(0|[1-9][0-9]*)';
const INT = '(-?(?:0|[1-9][0-9]*))';

const PATTERNS: [RegExp, (m: string[]) => Rec | string][] = [
  [new RegExp(`^T ${UINT} begin ${UINT}$`), (m) => ({ t: 'begin', index: num(m[1]), taint: num(m[2]) })],
  [
    new RegExp(`^T ${UINT} end (exit:${UINT}|signal:${UINT}|timeout|hung) ${UINT} ${UINT}(?: ${UINT})?$`),
    (m) => {
      const end: CaseEnd =
        m[3] !== undefined ? { kind: 'exit', code: num(m[3]) } : m[4] !== undefined ? { kind: 'signal', signo: num(m[4]) } : m[2] === 'hung' ? { kind: 'hung' } : { kind: 'timeout' };
      return { t: 'end', index: num(m[1]), end, taint: num(m[5]), durationUs: num(m[6]), idleUs: m[7] === undefined ? null : num(m[7]) };
    },
  ],
  [
    new RegExp(`^W ([0-9a-f]+) ${UINT} ${UINT} ([01])$`),
    (m) => ({ t: 'W', window: { base: BigInt(`0x${m[1]}`), pages: num(m[2]), pageSize: num(m[3]), reserveNamed: m[4] === '1' } }),
  ],
  [/^Z ([a-z]+) ([0-9a-f]{1,16}) ([0-9a-f]{1,16})$/, (m) => ({ t: 'Z', area: m[1] ?? '', extent: { lo: BigInt(`0x${m[2]}`), hi: BigInt(`0x${m[3]}`) } })],
  [new RegExp(`^S ${UINT} ${INT} ${UINT}$`), (m) => ({ t: 'S', step: num(m[1]), ret: num(m[2]), errno: num(m[3]) })],
  // The maps line is kept verbatim, trailing space included; maps.ts parses it.
  [new RegExp(`^M ${UINT} (.+)$`, 's'), (m) => ({ t: 'M', step: num(m[1]), line: m[2] ?? '' })],
  // Observation records (smaps, rollup, query, map_files, pagemap), kept verbatim: runner/results/observe.ts.
  [new RegExp(`^([${OBS_LETTERS.join('')}]) ${UINT}(?: (.*))?$`, 's'), (m) => ({ t: 'obs', letter: m[1] as ObsLetter, step: num(m[2]), text: m[3] ?? '' })],
  [new RegExp(`^C ${UINT} ${UINT}$`), (m) => ({ t: 'C', step: num(m[1]), pid: num(m[2]) })],
  [new RegExp(`^X ${UINT} ${UINT}$`), (m) => ({ t: 'X', step: num(m[1]), status: num(m[2]) })],
  [/^B(?: (.*))?$/s, (m) => ({ t: 'B', message: m[1] ?? '' })],
  // A custom probe's output line, verbatim (runner/tap/ parses it).
  [/^O(?: (.*))?$/s, (m) => ({ t: 'O', text: m[1] ?? '' })],
  [/^D$/, () => ({ t: 'D' })],
  // A kernel log record of the case: `K <seq> <level> <usec> <text>`, or a loss.
  [new RegExp(`^K ${UINT} ([0-7]) ${UINT} (.*)$`, 's'), (m) => ({ t: 'K', rec: { seq: num(m[1]), level: num(m[2]), usec: num(m[3]), text: m[4] ?? '' } })],
  [new RegExp(`^K (overrun|dropped ${UINT})$`), (m) => ({ t: 'Klost', what: m[1] ?? '' })],
];

function num(s: string | undefined): number {
  const n = Number(s);
  if (s === undefined || !Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${s}`);
  return n;
}

/** One record line, or why it does not match the grammar. */
function parseRecord(text: string): Rec | string {
  for (const [re, build] of PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    try {
      return build(m);
    } catch (e) {
      return e instanceof RangeError ? e.message : String(e);
    }
  }
  return text === '' ? 'empty line' : 'not a record';
}

/** Splits on `\n`, dropping `\r` before it; a last line without `\n` is returned apart as truncated. */
function splitLines(text: string): { lines: string[]; truncated: string | null } {
  const parts = text.split('\n');
  const last = parts.pop() ?? '';
  const strip = (l: string): string => l.replace(/\r+$/, '');
  return { lines: parts.map(strip), truncated: last === '' ? null : strip(last) };
}

/** Parses the whole stream text (possibly cut short by a dying guest). */
export function parseResultStream(text: string): ResultStream {
  const { lines, truncated } = splitLines(text);
  const out: ResultStream = {
    header: false,
    cases: [],
    complete: false,
    broken: [],
    garbage: [],
    truncated: truncated === null ? null : { line: lines.length + 1, text: truncated },
  };
  const headerAt = lines.findIndex((l) => l.endsWith(RESULTS_MAGIC));
  if (headerAt < 0) return out;
  out.header = true;

  let current: CaseRecord | null = null;
  // maps lines wait for the S record of their step.
  let pending = new Map<number, { line: number; lines: string[]; obs?: ObsLine[] }>();
  const junk = (line: number, text: string, reason: string): void => {
    out.garbage.push({ line, text, reason });
  };
  const close = (): void => {
    if (!current) return;
    for (const [step, p] of pending) junk(p.line, `M ${step} …`, `${p.lines.length} maps line(s)${p.obs ? ` and ${p.obs.length} observation record(s)` : ''} of step ${step} without its S record`);
    pending = new Map();
    out.cases.push(current);
    current = null;
  };

  for (let i = headerAt + 1; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const line = i + 1;
    if (out.complete) {
      junk(line, text, 'after D');
      continue;
    }
    const rec = parseRecord(text);
    if (typeof rec === 'string') {
      junk(line, text, rec);
      continue;
    }
    if (rec.t === 'begin') {
      if (current) junk(line, text, `case ${rec.index} began before case ${current.index} ended`);
      close();
      current = {
        index: rec.index,
        taintBefore: rec.taint,
        taintAfter: null,
        window: null,
        steps: new Map(),
        children: new Map(),
        broken: [],
        output: [],
        end: null,
        durationUs: null,
        idleUs: null,
      };
      continue;
    }
    if (rec.t === 'D') {
      close();
      out.complete = true;
      continue;
    }
    if (!current) {
      if (rec.t === 'B') out.broken.push(rec.message);
      else junk(line, text, 'outside a case');
      continue;
    }
    const c: CaseRecord = current;
    switch (rec.t) {
      case 'end':
        if (rec.index !== c.index) {
          junk(line, text, `end of case ${rec.index} while case ${c.index} runs`);
          break;
        }
        c.end = rec.end;
        c.taintAfter = rec.taint;
        c.durationUs = rec.durationUs;
        c.idleUs = rec.idleUs;
        close();
        break;
      case 'W':
        if (c.window) junk(line, text, 'second W record');
        else c.window = rec.window;
        break;
      case 'Z':
        if (c.firstLook?.has(rec.area)) junk(line, text, `second Z record of the ${rec.area}`);
        else (c.firstLook ??= new Map()).set(rec.area, rec.extent);
        break;
      case 'M': {
        if (c.steps.has(rec.step)) {
          junk(line, text, `maps line after the S record of step ${rec.step}`);
          break;
        }
        const p = pending.get(rec.step) ?? { line, lines: [] };
        p.lines.push(rec.line);
        pending.set(rec.step, p);
        break;
      }
      case 'obs': {
        if (c.steps.has(rec.step)) {
          junk(line, text, `observation record after the S record of step ${rec.step}`);
          break;
        }
        const p = pending.get(rec.step) ?? { line, lines: [] };
        (p.obs ??= []).push({ letter: rec.letter, text: rec.text });
        pending.set(rec.step, p);
        break;
      }
      case 'S': {
        if (c.steps.has(rec.step)) {
          junk(line, text, `second S record of step ${rec.step}`);
          break;
        }
        const obs = pending.get(rec.step)?.obs;
        const s: StepRecord = { step: rec.step, ret: rec.ret, errno: rec.errno, maps: pending.get(rec.step)?.lines ?? [], ...(obs ? { obs } : {}) };
        pending.delete(rec.step);
        c.steps.set(rec.step, s);
        break;
      }
      case 'C':
        if (c.children.has(rec.step)) junk(line, text, `second C record of step ${rec.step}`);
        else c.children.set(rec.step, rec.pid);
        break;
      case 'X': {
        const s = c.steps.get(rec.step);
        if (!s) junk(line, text, `X record before the S record of step ${rec.step}`);
        else if (s.waitStatus !== undefined) junk(line, text, `second X record of step ${rec.step}`);
        else s.waitStatus = rec.status;
        break;
      }
      case 'B':
        c.broken.push(rec.message);
        break;
      case 'O':
        c.output.push(rec.text);
        break;
      case 'K':
        (c.kmsg ??= []).push(rec.rec);
        break;
      case 'Klost':
        (c.kmsgLost ??= []).push(rec.what);
        break;
    }
  }
  close();
  return out;
}

/** The case records by case index (a repeated index keeps the last). */
export function casesByIndex(stream: ResultStream): Map<number, CaseRecord> {
  return new Map(stream.cases.map((c) => [c.index, c]));
}
