// /proc/PID/maps lines (kernel-behaviour.md F1–F3) and their view relative to a case's window.
import type { MapsEntry, ObservedVma, WindowInfo } from './types.js';

/** Byte offset of the name column on 64-bit kernels (`seq_setwidth(25 + 6 * sizeof(void *) - 1)`, then `seq_pad(' ')`). */
export const NAME_COLUMN = 73;

/** The name the probe gives the window reservation, as maps shows it. */
export const RESERVE_NAME = '[anon:vmaspec:window]';
/** The reserve on a kernel that cannot name VMAs: a PROT_NONE private memfd mapping (c-helpers/vmaprobe.c). */
export const RESERVE_MEMFD_NAME = '/memfd:vmaspec-window (deleted)';

export class MapsLineError extends Error {
  constructor(
    readonly line: string,
    reason: string,
  ) {
    super(`bad maps line (${reason}): ${JSON.stringify(line)}`);
    this.name = 'MapsLineError';
  }
}

// `start-end perms pgoff MAJ:MIN inode` (F1); each field is followed by one space.
const HEADER = /^([0-9a-f]{8,})-([0-9a-f]{8,}) ([r-][w-][x-][sp]) ([0-9a-f]{8,}) ([0-9a-f]{2,}):([0-9a-f]{2,}) (0|[1-9][0-9]*)/;

/**
 * Parses one maps line. The name starts at byte 73, or one space after the header when the
 * header is longer (F2); an unnamed VMA ends with the header's trailing space (F3). A line cut
 * right after the inode (trailing space stripped, e.g. by an editor) is accepted as unnamed.
 */
export function parseMapsLine(line: string): MapsEntry {
  const m = HEADER.exec(line);
  if (!m) throw new MapsLineError(line, 'header does not match `start-end perms pgoff MAJ:MIN inode`');
  const [, start = '', end = '', perms = '', offset = '', major = '', minor = '', inode = ''] = m;
  const entry: MapsEntry = {
    start: BigInt(`0x${start}`),
    end: BigInt(`0x${end}`),
    perms,
    offset: BigInt(`0x${offset}`),
    devMajor: parseInt(major, 16),
    devMinor: parseInt(minor, 16),
    inode: BigInt(inode),
    name: '',
  };
  if (entry.end <= entry.start) throw new MapsLineError(line, 'end is not above start');
  const headerLen = m[0].length + 1; // with its trailing space
  if (line.length === m[0].length || line.length === headerLen) {
    if (line.length === headerLen && line[m[0].length] !== ' ') throw new MapsLineError(line, 'no space after the inode');
    return entry;
  }
  const nameAt = Math.max(NAME_COLUMN, headerLen + 1);
  const pad = line.slice(m[0].length, nameAt);
  if (line.length <= nameAt || !/^ +$/.test(pad)) {
    throw new MapsLineError(line, `the name must start at byte ${nameAt}, after spaces`);
  }
  entry.name = line.slice(nameAt);
  return entry;
}

/** How the reserve shows in maps under this W record: `---p` with its name, or unnamed where it has none. */
export function reserveLook(w: WindowInfo): string {
  return w.reserveNamed ? `---p ${RESERVE_NAME}` : `---p ${RESERVE_MEMFD_NAME} (or ---p unnamed anonymous)`;
}

/** Whether an entry has the reserve's perms and name (where the kernel can name VMAs; else the memfd's, or none). */
function looksLikeReserve(e: MapsEntry, w: WindowInfo): boolean {
  if (e.perms !== '---p') return false;
  if (w.reserveNamed) return e.name === RESERVE_NAME;
  return e.name === RESERVE_MEMFD_NAME || (e.name === '' && e.devMajor === 0 && e.devMinor === 0 && e.inode === 0n);
}

/**
 * Whether an entry is a piece of the reservation, by its range, perms and name. An entry holding
 * no window page (only guard pages) is the reserve, whatever it looks like: no case maps there;
 * unless a step named a guard page it holds (`named`): then it is the reserve only if it looks
 * like it. Otherwise it must look like the reserve (`---p` and its name); unnamed anonymous `---p`
 * (no name and no memfd) counts only when it also reaches past a window edge.
 */
function isReserve(e: MapsEntry, w: WindowInfo, lo: bigint, hi: bigint, named: boolean): boolean {
  if (e.end <= lo || e.start >= hi) return !named || looksLikeReserve(e, w);
  if (!looksLikeReserve(e, w)) return false;
  return w.reserveNamed || e.name === RESERVE_MEMFD_NAME || e.start < lo || e.end > hi;
}

/**
 * The VMAs of a snapshot that a layout expectation speaks of, in maps order: those overlapping
 * pages [0, pages) of the window, minus the reservation's pieces (`isReserve`). Where VMAs can be
 * named, a piece is `---p [anon:vmaspec:window]`: the guard pages and the holes the case left; a
 * case VMA given that name with other perms stays (judged on its name), a `---p` one is a hole
 * to the judge. Without names the piece is `---p /memfd:vmaspec-window (deleted)`, or, without
 * memfd either, unnamed anonymous `---p` reaching past a window edge: then a reserve piece
 * between two case mappings is kept (it looks like a case's PROT_NONE mapping), and a case's own
 * unnamed `---p` mapping merged into an edge piece is dropped with it.
 */
export function windowLayout(lines: readonly string[], window: WindowInfo, reached: readonly number[] = []): ObservedVma[] {
  return windowVmas(lines, window, reached)
    .filter((v) => !v.reserve)
    .map(({ at, pages, perms, name, address, line }) => ({ at, pages, perms, name, address, line }));
}

/** A VMA overlapping the window, with its parsed entry and whether it is a piece of the reservation. */
export interface WindowVma extends ObservedVma {
  entry: MapsEntry;
  reserve: boolean;
}

/**
 * The maps-format lines (maps lines or smaps headers) that overlap the reservation (pages -1 to
 * `pages`), its pieces included; `reached`: the guard pages a case step named (see isReserve).
 */
export function windowVmas(lines: readonly string[], window: WindowInfo, reached: readonly number[] = []): WindowVma[] {
  const ps = BigInt(window.pageSize);
  const lo = window.base;
  const hi = window.base + BigInt(window.pages) * ps;
  const out: WindowVma[] = [];
  for (const line of lines) {
    const e = parseMapsLine(line);
    if (e.end <= lo - ps || e.start >= hi + ps) continue;
    const from = e.start - lo;
    const len = e.end - e.start;
    if (from % ps !== 0n || len % ps !== 0n) throw new MapsLineError(line, `not aligned to the ${window.pageSize}-byte page`);
    const vma = { at: Number(from / ps), pages: Number(len / ps), perms: e.perms, name: e.name, address: `0x${e.start.toString(16)}`, line };
    const named = reached.some((g) => vma.at <= g && g < vma.at + vma.pages);
    out.push({ ...vma, entry: e, reserve: isReserve(e, window, lo, hi, named) });
  }
  return out;
}

/** A guard page (-1 or `pages`) that the reserve no longer holds: what holds it instead, if anything. */
export interface DamagedGuard {
  page: number;
  address: string;
  vma: WindowVma | null;
}

/**
 * The reserve's guard pages, page -1 and page `pages`, that do not look like the reserve. The
 * probe reserves them `PROT_NONE` with the reserve's name, so anything else there (no VMA, other
 * perms, another name) is the kernel's doing, unless a case step named the page (`reached`).
 */
export function damagedGuards(vmas: readonly WindowVma[], window: WindowInfo, reached: readonly number[] = []): DamagedGuard[] {
  const out: DamagedGuard[] = [];
  for (const page of [-1, window.pages]) {
    if (reached.includes(page)) continue;
    const vma = vmas.find((v) => v.at <= page && page < v.at + v.pages) ?? null;
    if (vma && looksLikeReserve(vma.entry, window)) continue;
    out.push({ page, address: `0x${(window.base + BigInt(page) * BigInt(window.pageSize)).toString(16)}`, vma });
  }
  return out;
}
