// /proc/PID/smaps blocks and /proc/PID/smaps_rollup (kernel-behaviour.md F6–F8), from the
// `A` and `U` records of a step.
import { parseMapsLine } from './maps.js';
import { ObservationError } from './observe.js';
import type { MapsEntry } from './types.js';

/** One `Name:   value[ kB]` line of smaps or smaps_rollup. */
export interface SmapsField {
  name: string;
  /** The number; in kB when `unit` is `kB`. */
  value: number;
  unit: 'kB' | '';
  /** The line as the kernel printed it. */
  raw: string;
}

/** The smaps block of one VMA: its maps header line, its fields in order and its VmFlags. */
export interface SmapsBlock {
  header: string;
  entry: MapsEntry;
  fields: SmapsField[];
  /** The two-letter codes of the VmFlags line, in order; null when the block has none. */
  vmFlags: string[] | null;
  /** The field names in printed order, VmFlags included. */
  order: string[];
}

export interface Rollup {
  header: string;
  entry: MapsEntry;
  fields: SmapsField[];
  order: string[];
}

const VALUE = /^([A-Za-z_]+):( +)([0-9]+)( kB)?$/;
const VMFLAGS = /^VmFlags:((?: [a-z?]{2})*) ?$/;
const HEADER = /^[0-9a-f]+-[0-9a-f]+ /;

function parseField(line: string): SmapsField | null {
  const m = VALUE.exec(line);
  if (!m) return null;
  const value = Number(m[3]);
  if (!Number.isSafeInteger(value)) return null;
  return { name: m[1] ?? '', value, unit: m[4] ? 'kB' : '', raw: line };
}

/** The lines of `A` records (smaps text of the window's VMAs) as blocks, in order. */
export function parseSmaps(lines: readonly string[]): SmapsBlock[] {
  const blocks: SmapsBlock[] = [];
  let cur: SmapsBlock | null = null;
  for (const line of lines) {
    if (HEADER.test(line)) {
      cur = { header: line, entry: parseMapsLine(line), fields: [], vmFlags: null, order: [] };
      blocks.push(cur);
      continue;
    }
    if (!cur) throw new ObservationError('smaps', line, 'a field line before any VMA header');
    const flags = VMFLAGS.exec(line);
    if (flags) {
      if (cur.vmFlags) throw new ObservationError('smaps', line, 'a second VmFlags line in one block');
      cur.vmFlags = (flags[1] ?? '').split(' ').filter(Boolean);
      cur.order.push('VmFlags');
      continue;
    }
    const f = parseField(line);
    if (!f) throw new ObservationError('smaps', line, 'not `Name: value [kB]` nor `VmFlags: …`');
    cur.fields.push(f);
    cur.order.push(f.name);
  }
  return blocks;
}

/** The lines of `U` records: the rollup header (F8) and its fields. */
export function parseRollup(lines: readonly string[]): Rollup {
  const [header, ...rest] = lines;
  if (header === undefined) throw new ObservationError('smaps_rollup', '', 'no lines');
  const entry = parseMapsLine(header);
  const fields = rest.map((line) => {
    const f = parseField(line);
    if (!f) throw new ObservationError('smaps_rollup', line, 'not `Name: value [kB]`');
    return f;
  });
  return { header, entry, fields, order: fields.map((f) => f.name) };
}

/** A field's value by name, or undefined. */
export const fieldValue = (fields: readonly SmapsField[], name: string): number | undefined => fields.find((f) => f.name === name)?.value;
