// The plan ops of the added steps (docs/protocol.md, "Steps ops"), defined as their
// arguments (runner/plan/args.ts), and the compilation of the steps of ../steps.ts into them.

import { arg, backing, bool, byteList, int31, name, op, optional, prot, signed, sysctlKey, unsigned, word, wordList, type BackingToken, type OpsOf } from '../../plan/args.js';
import { mapFlags, sharing, sysctlValue, touchAccess } from '../../plan/case-args.js';
import { pageArea } from '../../plan/observe-ops.js';
import { SPECIAL_AREAS } from '../expect.js';
import { NAME_TARGETS, TOUCH_DEFAULT } from '../steps.js';
import type { Step } from '../types.js';
import type { MapBacking } from './types.js';

/** The calls of the `lock` op: the lock step kinds, and `onfault` for mlock2(MLOCK_ONFAULT). */
const LOCK_CALLS = ['mlock', 'munlock', 'mseal', 'onfault'] as const;

const madviseArgs = [arg('at', signed), arg('pages', unsigned), arg('advice', int31)] as const;

/** The ops of the added steps, members of the plan's op table. */
export const STEP_OPS = {
  mapfd: op([arg('at', signed), arg('pages', unsigned), arg('prot', prot), arg('shared', sharing), arg('flags', mapFlags), arg('backing', backing)], { check: true }),
  /** `to`: the window page passed as new_addr, or null (0); `flags`: the MREMAP_ bits. */
  mremap: op([arg('at', signed), arg('pages', unsigned), arg('newPages', unsigned), arg('to', optional), arg('flags', int31)]),
  madvise: op(madviseArgs),
  /** process_madvise on the child of the fork block whose parent ops run. */
  pmadvise: op(madviseArgs),
  lock: op([arg('at', signed), arg('pages', unsigned), arg('call', word(wordList('lock_call', LOCK_CALLS)))]),
  'name-target': op([arg('target', word(wordList('name_target', NAME_TARGETS))), arg('name', name)]),
  /** The maps lines of an area (`M` records). */
  special: op([arg('target', word(wordList('special_area', SPECIAL_AREAS)))]),
  /** Moves the break by `pages` (negative shrinks). */
  brk: op([arg('pages', signed)]),
  sysctl: op([arg('key', sysctlKey), arg('value', sysctlValue)], { check: true }),
  /** prctl(PR_SET_MEMORY_MERGE, 1 | 0). */
  mmerge: op([arg('enable', bool('0', '1'))]),
  /** `touch` of heap or stack pages: `first` a page offset from the area's first look (negative: below the stack); `value` as touch's. */
  'touch-target': op([arg('area', pageArea), arg('first', signed), arg('pages', unsigned), arg('access', touchAccess), arg('value', byteList)]),
};

/** The plan ops of the added steps. */
export type ExtraPlanOp = OpsOf<typeof STEP_OPS>;

/**
 * The plan's `<backing>` token of a map backing. `base` names the file: `/tmp/vmaspec-<base>`
 * for tmpfs, `vmaspec-<base>` for memfd (maps shows `/memfd:vmaspec-<base> (deleted)`).
 */
export function backingToken(b: MapBacking, base: string): BackingToken {
  if (b.kind === 'zero') return 'zero';
  if (b.kind === 'memfd') return `memfd:${base}`;
  return b.unlink === null ? `tmpfs:${base}` : `tmpfs-unlink-${b.unlink}:${base}`;
}

/** The file name part of a map backing: the region id, or `p<at>` for a map without id. */
export const backingBase = (id: string | null, at: number): string => id ?? `p${at}`;

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
      return [(step) => ({ op: 'mremap', step, at: s.range.at, pages: s.range.pages, newPages: s.newPages, to: s.to, flags: s.flags })];
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
    case 'sysctl':
      return [(step) => ({ op: 'sysctl', step, key: s.key, value: s.value })];
    case 'memory_merge':
      return [(step) => ({ op: 'mmerge', step, enable: s.enable })];
    case 'touch': {
      const range = s.range;
      return 'area' in range ? [(step) => ({ op: 'touch-target', step, area: range.area, first: range.first, pages: range.pages, access: s.access, value: s.value ?? [TOUCH_DEFAULT] })] : null;
    }
    default:
      return null;
  }
}
