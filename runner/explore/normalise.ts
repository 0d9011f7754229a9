// What a case's run showed, normalised so that two runs of one kernel read the same: addresses
// as window pages (`p3`; `out` for what lies elsewhere, where ASLR places it), no inode numbers,
// no PFNs, no pids, fork's points as added since the process's first count. One entry per plan
// step, in plan order: the differential oracle compares them.
import type { CompiledCase } from '../plan/compiled.js';
import { MapsLineError, parseMapsLine } from '../results/maps.js';
import { parseMapFileRecord } from '../results/mapfiles.js';
import { ObservationError } from '../results/observe.js';
import { parsePagemap } from '../results/pagemap.js';
import { parseQueryRecord } from '../results/query.js';
import type { CaseEnd, CaseRecord, WindowInfo } from '../results/types.js';

/** One plan step's observations: where it is in the case, and its lines. */
export interface ObservedStep {
  /** The plan step number. */
  step: number;
  /** The key path of its case step and its op: `steps[3].expect smaps`. */
  what: string;
  lines: string[];
}

/** A case's run, normalised: how it ended, the harness's complaints, and each plan step's observations. */
export interface Observation {
  end: string;
  broken: string[];
  steps: ObservedStep[];
}

/** Pages of the window reserve on each side (the probe reserves the window and one page either side). */
const RESERVE = 1n;

/** An address as a window page (`p0` is page 0; `p-1` the reserve's guard), or `out` beyond the reserve. */
function page(addr: bigint, w: WindowInfo): string {
  const ps = BigInt(w.pageSize);
  const off = addr - w.base;
  const lo = -RESERVE * ps;
  const hi = (BigInt(w.pages) + RESERVE) * ps;
  if (off < lo || off > hi) return 'out';
  return off % ps === 0n ? `p${off / ps}` : `p${off / ps}+${off % ps}`;
}

/** A maps line (or an smaps header): pages for addresses, the inode left out; outside the window only its name. */
function mapsLine(line: string, w: WindowInfo): string {
  let e;
  try {
    e = parseMapsLine(line);
  } catch (err) {
    if (err instanceof MapsLineError) return `unparsed: ${line}`;
    throw err;
  }
  const [from, to] = [page(e.start, w), page(e.end, w)];
  if (from === 'out' && to === 'out') return `out ${e.perms} ${JSON.stringify(e.name)}`;
  const dev = `${e.devMajor.toString(16).padStart(2, '0')}:${e.devMinor.toString(16).padStart(2, '0')}`;
  return `${from}-${to} ${e.perms} ${e.offset.toString(16)} ${dev} ${e.inode === 0n ? '0' : 'ino'} ${JSON.stringify(e.name)}`;
}

const HEADER = /^[0-9a-f]+-[0-9a-f]+ /;

/** The lines of one observation record, by its letter. */
function obsLine(letter: string, text: string, w: WindowInfo): string {
  try {
    switch (letter) {
      case 'A':
        return HEADER.test(text) ? mapsLine(text, w) : text;
      case 'U':
        // The rollup counts the whole process: the probe's own text pages (mapped by fault-around
        // from a page cache that earlier cases filled) and its stack vary by pages from run to
        // run. Its header and field names are compared; its values are the model oracle's.
        return HEADER.test(text) ? text.replace(/^\S+ /, '') : text.replace(/:\s+\d+ kB$/, ':');
      case 'Q': {
        const q = parseQueryRecord(text);
        const name = Buffer.from(q.nameBytes).toString('utf8');
        return `${page(q.start, w)}-${page(q.end, w)} flags=${q.vmaFlags} page=${q.pageSize} off=${q.offset.toString(16)} dev=${q.devMajor}:${q.devMinor} ${q.inode === 0n ? 'ino=0' : 'ino'} name_size=${q.nameSize} build_id=${q.buildIdSize} ${JSON.stringify(name)}`;
      }
      case 'L': {
        const l = parseMapFileRecord(text);
        const range = /^([0-9a-f]+)-([0-9a-f]+)$/.exec(l.name);
        const name = range ? `${page(BigInt(`0x${range[1]}`), w)}-${page(BigInt(`0x${range[2]}`), w)}` : JSON.stringify(l.name);
        return `${name} readlink=${l.readlinkErrno} open=${l.openErrno} ${JSON.stringify(l.target)}`;
      }
      case 'P': {
        const [p] = parsePagemap([text]);
        // Bits 55-63 are flags; below them the PFN (or swap entry), which no two runs share.
        return p ? `page ${p.page} flags=${(p.entry >> 55n).toString(2).padStart(9, '0')}` : text;
      }
      default:
        return text;
    }
  } catch (err) {
    if (err instanceof ObservationError || err instanceof MapsLineError) return `unparsed ${letter}: ${text}`;
    throw err;
  }
}

const endText = (end: CaseEnd | null): string => (end === null ? 'died' : end.kind === 'exit' ? `exit:${end.code}` : end.kind === 'signal' ? `signal:${end.signo}` : end.kind);

/** A case's record, normalised; `compiled` names each plan step. */
export function observe(compiled: CompiledCase, record: CaseRecord | undefined): Observation {
  if (!record) return { end: 'no record', broken: [], steps: [] };
  const w = record.window;
  const firstPoints = new Map<string, number>();
  const steps = compiled.steps.map(({ op, origin }): ObservedStep => {
    const what = `${origin.path} ${op.op}`;
    const rec = record.steps.get(op.step);
    if (!rec) return { step: op.step, what, lines: ['not run'] };
    // fork returns the child's pid in the parent: only whether it forked is the kernel's.
    let ret = op.op === 'fork' && rec.ret > 0 ? 'child' : String(rec.ret);
    // fork-points: the points added since the process's first count (a case can say only that:
    // expect.fork_points); a change to every fork's cost (the reserve's own name copied) is in
    // every count alike.
    if (op.op === 'fork-points' && rec.errno === 0) {
      const first = firstPoints.get(origin.proc);
      if (first === undefined) firstPoints.set(origin.proc, rec.ret);
      ret = first === undefined ? 'first' : `first${rec.ret - first >= 0 ? '+' : ''}${rec.ret - first}`;
    }
    const lines = [`ret=${ret} errno=${rec.errno}`];
    if (rec.waitStatus !== undefined) lines.push(`wait=${rec.waitStatus}`);
    if (w) {
      lines.push(...rec.maps.map((m) => mapsLine(m, w)));
      lines.push(...(rec.obs ?? []).map((o) => `${o.letter} ${obsLine(o.letter, o.text, w)}`));
    }
    return { step: op.step, what, lines };
  });
  // The first complaint is the cause; the ones after it come from the other processes of the case
  // losing it (a child's sync reads EOF, or PDEATHSIG kills it first: a race), so they are left out.
  return { end: endText(record.end), broken: record.broken.slice(0, 1), steps };
}

/** Where two observations of one case first differ: the plan step and its lines on each side. */
export interface Difference {
  what: string;
  /** The plan step (null: how the case ended). */
  step: number | null;
  /** The first differing line of the step on each side (null: the side has fewer lines). */
  base: string | null;
  change: string | null;
  /** Every line of the step on each side. */
  baseLines: string[];
  changeLines: string[];
}

/** The differences of two observations of one case, a step at a time (how it ended first). */
export function differences(base: Observation, change: Observation): Difference[] {
  const out: Difference[] = [];
  const whole = (what: string, step: number | null, b: string[], c: string[]): void => {
    const n = Math.max(b.length, c.length);
    for (let i = 0; i < n; i++) {
      if (b[i] === c[i]) continue;
      out.push({ what, step, base: b[i] ?? null, change: c[i] ?? null, baseLines: b, changeLines: c });
      return;
    }
  };
  whole('end', null, [base.end, ...base.broken], [change.end, ...change.broken]);
  const n = Math.max(base.steps.length, change.steps.length);
  for (let i = 0; i < n; i++) {
    const [b, c] = [base.steps[i], change.steps[i]];
    whole(b?.what ?? c?.what ?? `plan step ${i}`, b?.step ?? c?.step ?? null, b?.lines ?? [], c?.lines ?? []);
  }
  return out;
}
