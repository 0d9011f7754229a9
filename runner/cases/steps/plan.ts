// Plan ops of the added steps (docs/protocol.md, "Steps ops"): their types, their
// text in the plan file, and the compilation of the steps of ./types.ts into them.

import type { MapFlag } from '../shared-types.js';
import type { Step } from '../types.js';
import type { MapBacking, NamePointer, NameTarget, SpecialArea, SysctlValue } from './types.js';

/** The plan ops of the added steps, members of the PlanOp union (docs/protocol.md, "Steps ops"). */
export type ExtraPlanOp =
  | { op: 'mapfd'; step: number; at: number; pages: number; prot: string; shared: boolean; flags: MapFlag[]; backing: string }
  | { op: 'mremap'; step: number; at: number; pages: number; newPages: number; to: number | null }
  | { op: 'madvise'; step: number; at: number; pages: number; advice: number }
  | { op: 'pmadvise'; step: number; at: number; pages: number; advice: number }
  | { op: 'name-target'; step: number; target: NameTarget; name: Uint8Array | null }
  /** Reports the maps lines of an area. */
  | { op: 'special'; step: number; target: SpecialArea }
  /** `call`: mlock, onfault (mlock2 with MLOCK_ONFAULT), munlock or mseal. */
  | { op: 'lock'; step: number; at: number; pages: number; call: 'mlock' | 'onfault' | 'munlock' | 'mseal' }
  | { op: 'brk'; step: number; pages: number }
  | { op: 'sysctl'; step: number; key: string; value: string };

/**
 * The plan's `<backing>` token of a map backing. `base` names the file: `/tmp/vmaspec-<base>`
 * for tmpfs, `vmaspec-<base>` for memfd (maps shows `/memfd:vmaspec-<base> (deleted)`).
 */
export function backingToken(b: MapBacking, base: string): string {
  if (b.kind === 'zero') return 'zero';
  if (b.kind === 'memfd') return `memfd:${base}`;
  return `${b.unlink === null ? 'tmpfs' : `tmpfs-unlink-${b.unlink}`}:${base}`;
}

/** The file name part of a map backing: the region id, or `p<at>` for a map without id. */
export const backingBase = (id: string | null, at: number): string => id ?? `p${at}`;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The plan's `<name>` token: `null`, `hex:…`, `unmapped`, `prot-none:hex:…` or `runs-off:hex:…`. */
export function nameToken(name: Uint8Array | null, pointer?: NamePointer): string {
  if (pointer === 'unmapped') return 'unmapped';
  const text = name === null ? 'null' : `hex:${hex(name)}`;
  return pointer === undefined ? text : `${pointer}:${text}`;
}

/** The plan's sysctl key (a path under /proc/sys) and value tokens. */
export function sysctlTokens(key: string, value: SysctlValue): { key: string; value: string } {
  const v = value.kind === 'number' ? value.value.toString() : `maps${value.delta < 0 ? '-' : '+'}${Math.abs(value.delta)}`;
  return { key: key.split('.').join('/'), value: v };
}

/** The arguments of an added op, as plan tokens. */
export function extraOpArgs(op: ExtraPlanOp): string[] {
  switch (op.op) {
    case 'mapfd':
      return [String(op.at), String(op.pages), op.prot, op.shared ? 'shared' : 'private', op.flags.length ? op.flags.join(',') : '-', op.backing];
    case 'mremap':
      return [String(op.at), String(op.pages), String(op.newPages), op.to === null ? '-' : String(op.to)];
    case 'madvise':
    case 'pmadvise':
      return [String(op.at), String(op.pages), String(op.advice)];
    case 'name-target':
      return [op.target, nameToken(op.name)];
    case 'special':
      return [op.target];
    case 'lock':
      return [String(op.at), String(op.pages), op.call];
    case 'brk':
      return [String(op.pages)];
    case 'sysctl':
      return [op.key, op.value];
  }
}

/** Makes one op given its plan step number (the compiler numbers and records origins). */
export type OpMaker = (step: number) => ExtraPlanOp;

/**
 * The ops that replace the core compilation of a step: a `map` with a backing, a
 * `name` with a target, and the kinds of this module. Null: the core compiler handles it.
 */
export function extraOps(s: Step): OpMaker[] | null {
  switch (s.kind) {
    case 'map': {
      const b = s.backing;
      if (!b) return null;
      return [(step) => ({ op: 'mapfd', step, at: s.range.at, pages: s.range.pages, prot: s.prot, shared: s.shared, flags: [...s.flags], backing: backingToken(b, backingBase(s.id, s.range.at)) })];
    }
    case 'name': {
      const t = s.target;
      return t ? [(step) => ({ op: 'name-target', step, target: t, name: s.name })] : null;
    }
    case 'mremap':
      return [(step) => ({ op: 'mremap', step, at: s.range.at, pages: s.range.pages, newPages: s.newPages, to: s.to })];
    case 'madvise':
      return [(step) => ({ op: 'madvise', step, at: s.range.at, pages: s.range.pages, advice: s.adviceNumber })];
    case 'process_madvise':
      return [(step) => ({ op: 'pmadvise', step, at: s.range.at, pages: s.range.pages, advice: s.adviceNumber })];
    case 'mlock':
    case 'munlock':
    case 'mseal': {
      const call = s.kind === 'mlock' && s.onfault ? 'onfault' : s.kind;
      return [(step) => ({ op: 'lock', step, at: s.range.at, pages: s.range.pages, call })];
    }
    case 'brk':
      return [(step) => ({ op: 'brk', step, pages: s.pages })];
    case 'sysctl': {
      const t = sysctlTokens(s.key, s.value);
      return [(step) => ({ op: 'sysctl', step, key: t.key, value: t.value })];
    }
    default:
      return null;
  }
}
