// Validation of the added steps and keys (grammar: cases/README.md, "More steps"):
// map backings, bad name pointers, u64 name lengths, named special VMAs,
// mremap, madvise, process_madvise, mlock, munlock, mseal, brk, sysctl and `expect.special`.
// The core validator (../validate.ts) dispatches here.

import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import type { Outcome, PageRange, SourcePos, Step } from '../types.js';
import { GUEST_LIMITS, guestTakes } from '../limits.js';
import { describe, join, list, type Ctx, type Field, type Fields, type Scope } from '../read-context.js';
import { PERMS, readErrno, readNameValue, readRange } from '../read-values.js';
import { ADVICE, ADVICE_NAMES, PROCESS_MADVISE_HINT } from './advice.js';
import {
  NAME_POINTERS,
  NAME_TARGETS,
  SPECIAL_AREAS,
  type LockCall,
  type MapBacking,
  type NamePointer,
  type SpecialExpectation,
  type SysctlValue,
} from './types.js';

export const MREMAP_KEYS = ['region', 'pages', 'to', 'errno'] as const;
export const MADVISE_KEYS = ['region', 'at', 'page', 'pages', 'advice', 'errno'] as const;
export const PROCESS_MADVISE_KEYS = ['region', 'at', 'page', 'pages', 'advice', 'errno', 'ret'] as const;
export const MLOCK_KEYS = ['region', 'at', 'page', 'pages', 'onfault', 'errno'] as const;
export const MUNLOCK_KEYS = ['region', 'at', 'page', 'pages', 'errno'] as const;
export const MSEAL_KEYS = ['region', 'at', 'page', 'pages', 'errno'] as const;
export const BRK_KEYS = ['grow', 'shrink', 'errno'] as const;
export const SYSCTL_KEYS = ['key', 'value', 'errno'] as const;
export const SYSCTL_VALUE_KEYS = ['current_maps'] as const;
export const NAME_TARGET_KEYS = ['target', 'name', 'errno'] as const;
export const SPECIAL_KEYS = ['target', 'vmas', 'names', 'perms', 'pages'] as const;
export const BACKINGS = ['anon', 'tmpfs', 'memfd', 'zero'] as const;
export const UNLINK_WHEN = ['before', 'after', 'never'] as const;

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const SYSCTL_KEY = /^[a-z0-9_]+(\.[a-z0-9_-]+)+$/;
/** How far `current_maps` may be moved (a VMA count is far below this). */
const MAPS_DELTA_MAX = 1_000_000;

/** What the added steps need to remember while a file is validated. */
interface StepsState {
  /** A `brk` step that grows the heap came earlier in the file (the heap exists only after one). */
  heapGrown: boolean;
}
const states = new WeakMap<Ctx, StepsState>();
function state(ctx: Ctx): StepsState {
  let s = states.get(ctx);
  if (!s) {
    s = { heapGrown: false };
    states.set(ctx, s);
  }
  return s;
}

/** ctx.oneOf, typed by the list of allowed words. */
function pick<T extends string>(ctx: Ctx, f: Field, path: string, allowed: readonly T[]): T | undefined {
  const w = ctx.oneOf(f, path, allowed);
  return allowed.find((a) => a === w);
}

/** The value node, aliases resolved. */
const valueOf = (ctx: Ctx, f: Field): Node | null => ctx.deref(f.value);

/**
 * An integer that may not fit a JS number: a YAML integer (any size, read from its source
 * text) or a string of decimal digits or `0x` hex. Numbers stay numbers when they are safe.
 */
function readBigInt(ctx: Ctx, f: Field, path: string, min: bigint, max: bigint, what: string): number | bigint | undefined {
  const v = valueOf(ctx, f);
  let text: string | undefined;
  if (v !== null && isScalar(v)) {
    if (typeof v.value === 'number' && Number.isInteger(v.value)) text = (v.source ?? String(v.value)).replace(/^\+/, '');
    else if (typeof v.value === 'string') text = v.value.trim();
  }
  let n: bigint | undefined;
  if (text !== undefined && /^-?([0-9]+|0x[0-9a-fA-F]+)$/.test(text)) {
    const neg = text.startsWith('-');
    const abs = BigInt(neg ? text.slice(1) : text);
    n = neg ? -abs : abs;
  }
  if (n === undefined || n < min || n > max) {
    const got = v !== null && isScalar(v) && typeof v.value === 'number' && text !== undefined ? `integer ${text}` : describe(v);
    ctx.error(ctx.where(f), path, `expected ${what}, an integer from ${min} to ${max} (a string of digits or 0x hex also works), got ${got}`);
    return undefined;
  }
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** `name.len`: bytes, up to 2^64-1 (R7 needs lengths that wrap the address space). */
export function readByteLen(ctx: Ctx, f: Field, path: string): number | bigint | undefined {
  return readBigInt(ctx, f, path, 0n, U64_MAX, 'a byte length');
}

/** `map.backing` and `map.unlink`: null for anonymous memory, undefined after an error. */
export function readMapBacking(ctx: Ctx, F: Fields, path: string): MapBacking | null | undefined {
  const bf = F.get('backing');
  const uf = F.get('unlink');
  const kind = bf ? pick(ctx, bf, join(path, 'backing'), BACKINGS) : 'anon';
  if (kind === undefined) return undefined;
  let unlink: 'before' | 'after' | null = null;
  if (uf) {
    const up = join(path, 'unlink');
    if (kind !== 'tmpfs') {
      ctx.error(uf.key, up, `unlink is only for backing: tmpfs (a file with a name to unlink); backing here is ${kind}`);
      return undefined;
    }
    const w = pick(ctx, uf, up, UNLINK_WHEN);
    if (w === undefined) return undefined;
    unlink = w === 'never' ? null : w;
  }
  switch (kind) {
    case 'anon':
      return null;
    case 'tmpfs':
      return { kind: 'tmpfs', unlink };
    case 'memfd':
      return { kind: 'memfd' };
    case 'zero':
      return { kind: 'zero' };
  }
}

/** `name.pointer` (null when absent), checked against `name`; ok is false after a reported error. */
export function readNamePointer(ctx: Ctx, F: Fields, path: string): { pointer: NamePointer | null; ok: boolean } {
  const f = F.get('pointer');
  if (!f) return { pointer: null, ok: true };
  const p = pick(ctx, f, join(path, 'pointer'), NAME_POINTERS);
  if (p === undefined) return { pointer: null, ok: false };
  const nameF = F.get('name');
  if (p === 'unmapped' && nameF) {
    ctx.error(nameF.key, join(path, 'name'), 'pointer: unmapped passes an address with nothing mapped: no name bytes are used; drop name');
    return { pointer: null, ok: false };
  }
  if (p !== 'unmapped' && nameF) {
    const v = ctx.deref(nameF.value);
    if (v !== null && isScalar(v) && v.value === null) {
      ctx.error(ctx.where(nameF), join(path, 'name'), `pointer: ${p} places the name's bytes; give them as a string, { hex } or { repeat, count }, not null`);
      return { pointer: null, ok: false };
    }
  }
  return { pointer: p, ok: true };
}

/** `name: { target, name, errno }`: naming a VMA outside the window (F5, S15, S16). */
export function readNameTarget(ctx: Ctx, m: YAMLMap, path: string, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, NAME_TARGET_KEYS);
  const tf = F.get('target');
  const target = tf ? pick(ctx, tf, join(path, 'target'), NAME_TARGETS) : undefined;
  const nameF = ctx.required(F, m, path, 'name');
  const name = nameF ? readNameValue(ctx, nameF, join(path, 'name')) : undefined;
  const outcome = readErrno(ctx, F, path);
  if (target === 'heap' && tf && !state(ctx).heapGrown) {
    ctx.error(tf.value, join(path, 'target'), 'the heap does not exist until brk grows it; add a step brk: { grow: 1 } before this one');
    return undefined;
  }
  if (target === undefined || name === undefined) return undefined;
  return { kind: 'name', start: 0, len: 0, name, outcome, pos, target };
}

/** A region id → the region's current range, through the core reader (messages included). */
function regionOf(ctx: Ctx, F: Fields, m: YAMLMap, path: string, scope: Scope): { id: string; range: PageRange } | undefined {
  const rf = F.get('region');
  if (!rf) {
    ctx.error(m, path, 'missing required key "region" (mremap works on a whole region)');
    return undefined;
  }
  const r = readRange(ctx, new Map([['region', rf]]), m, path, scope);
  if (!r || r.pages === null) return undefined;
  const id = ctx.deref(rf.value);
  return id !== null && isScalar(id) && typeof id.value === 'string' ? { id: id.value, range: { at: r.at, pages: r.pages } } : undefined;
}

/** `mremap: { region, pages?, to?, errno? }`: resize in place, or move (MAYMOVE|FIXED) to window page `to`. */
export function readMremap(ctx: Ctx, m: YAMLMap, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, MREMAP_KEYS);
  const r = regionOf(ctx, F, m, path, scope);
  if (!F.has('region')) return undefined;
  const pagesF = F.get('pages');
  const toF = F.get('to');
  if (!pagesF && !toF) {
    ctx.error(m, path, 'missing required key "pages" (the new size) or "to" (the window page to move to)');
    return undefined;
  }
  const newPages = pagesF ? ctx.int(pagesF, join(path, 'pages'), 1, Number.MAX_SAFE_INTEGER, ' (the new size)') : r?.range.pages;
  const to = toF ? ctx.int(toF, join(path, 'to'), 0, ctx.window - 1, ` (a page of the ${ctx.window}-page window)`) : null;
  const outcome = readErrno(ctx, F, path);
  if (!r || newPages === undefined || to === undefined) return undefined;
  const at = to ?? r.range.at;
  if (at + newPages > ctx.window) {
    const where = pagesF ?? toF;
    ctx.error(where?.value ?? m, join(path, pagesF ? 'pages' : 'to'), `${newPages} pages at page ${at} run past the window (${ctx.window} pages)`);
    return undefined;
  }
  const region = scope.lookup(r.id);
  // After a successful call the region names its new place (in this scope and the ones it encloses).
  if (outcome.errno === null && region) scope.define({ ...region, range: { at, pages: newPages } });
  return { kind: 'mremap', range: r.range, newPages, to, outcome, pos };
}

function readAdvice(ctx: Ctx, F: Fields, m: YAMLMap, path: string): { name: string; number: number } | undefined {
  const f = ctx.required(F, m, path, 'advice');
  if (!f) return undefined;
  const p = join(path, 'advice');
  const v = ctx.deref(f.value);
  if (v !== null && isScalar(v) && typeof v.value === 'number') {
    const n = ctx.int(f, p, 0, 2 ** 31 - 1, ' (a MADV_ number)');
    return n === undefined ? undefined : { name: String(n), number: n };
  }
  const name = ctx.oneOf(f, p, ADVICE_NAMES);
  return name === undefined ? undefined : { name, number: ADVICE[name] ?? -1 };
}

/** `madvise: { region | at, page?, pages?, advice, errno? }`. */
export function readMadvise(ctx: Ctx, m: YAMLMap, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, MADVISE_KEYS);
  const r = readRange(ctx, F, m, path, scope);
  const advice = readAdvice(ctx, F, m, path);
  const outcome = readErrno(ctx, F, path);
  if (!r || r.pages === null || !advice) return undefined;
  return { kind: 'madvise', range: { at: r.at, pages: r.pages }, advice: advice.name, adviceNumber: advice.number, outcome, pos };
}

/** `process_madvise: { region | at, page?, pages?, advice, errno?, ret? }`, only in a fork's `parent:` steps. */
export function readProcessMadvise(ctx: Ctx, m: YAMLMap, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, PROCESS_MADVISE_KEYS);
  if (scope.branch !== 'parent') {
    ctx.error(m, path, 'process_madvise advises the child of the enclosing fork: use it in a fork\'s parent: steps (the child is alive there)');
    return undefined;
  }
  const r = readRange(ctx, F, m, path, scope);
  const advice = readAdvice(ctx, F, m, path);
  const outcome = readErrno(ctx, F, path);
  const retF = F.get('ret');
  let ok = true;
  if (retF) {
    const p = join(path, 'ret');
    if (outcome.errno !== null) {
      ctx.error(retF.key, p, `ret is the return value on success; with errno: ${outcome.errno} the call returns -1`);
      ok = false;
    } else {
      const v = ctx.int(retF, p, 0, Number.MAX_SAFE_INTEGER, ` (bytes advised; ${PROCESS_MADVISE_HINT})`);
      if (v === undefined) ok = false;
      else outcome.ret = v;
    }
  }
  if (!r || r.pages === null || !advice || !ok) return undefined;
  return { kind: 'process_madvise', range: { at: r.at, pages: r.pages }, advice: advice.name, adviceNumber: advice.number, outcome, pos };
}

/** `mlock: { region | at, page?, pages?, onfault?, errno? }`, `munlock` and `mseal` (no `onfault`). */
export function readLock(ctx: Ctx, kind: LockCall, m: YAMLMap, path: string, scope: Scope, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, kind === 'mlock' ? MLOCK_KEYS : kind === 'munlock' ? MUNLOCK_KEYS : MSEAL_KEYS);
  const r = readRange(ctx, F, m, path, scope);
  const onfaultF = F.get('onfault');
  const onfault = onfaultF ? ctx.bool(onfaultF, join(path, 'onfault')) : false;
  const outcome = readErrno(ctx, F, path);
  if (!r || r.pages === null || onfault === undefined) return undefined;
  return { kind, range: { at: r.at, pages: r.pages }, onfault, outcome, pos };
}

/** `brk: { grow: n }` or `brk: { shrink: n }`: moves the program break by whole pages (S15). */
export function readBrk(ctx: Ctx, m: YAMLMap, path: string, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, BRK_KEYS);
  const grow = F.get('grow');
  const shrink = F.get('shrink');
  const outcome = readErrno(ctx, F, path);
  if (grow && shrink) {
    ctx.error(shrink.key, join(path, 'shrink'), 'give grow or shrink, not both');
    return undefined;
  }
  const f = grow ?? shrink;
  if (!f) {
    ctx.error(m, path, 'missing required key "grow" or "shrink" (pages)');
    return undefined;
  }
  const n = ctx.int(f, join(path, grow ? 'grow' : 'shrink'), 1, 1 << 20, ' (pages)');
  if (n === undefined) return undefined;
  if (grow && outcome.errno === null) state(ctx).heapGrown = true;
  return { kind: 'brk', pages: grow ? n : -n, outcome, pos };
}

/** `sysctl: { key, value, errno? }`; value is an integer or `{ current_maps: ±n }` (S18). */
export function readSysctl(ctx: Ctx, m: YAMLMap, path: string, pos: SourcePos): Step | undefined {
  const F = ctx.fields(m, path, SYSCTL_KEYS);
  const kf = ctx.required(F, m, path, 'key');
  const vf = ctx.required(F, m, path, 'value');
  const outcome = readErrno(ctx, F, path);
  let key: string | undefined;
  if (kf) {
    const s = ctx.str(kf, join(path, 'key'), ' such as vm.max_map_count');
    if (s !== undefined && !SYSCTL_KEY.test(s)) {
      ctx.error(kf.value, join(path, 'key'), `invalid sysctl key ${JSON.stringify(s)}; expected dotted lower-case words as in sysctl(8), e.g. vm.max_map_count`);
    } else if (s !== undefined && s.length > GUEST_LIMITS.sysctlKey.value) {
      ctx.error(kf.value, join(path, 'key'), `sysctl key is ${s.length} characters; ${guestTakes(GUEST_LIMITS.sysctlKey, ' characters')}`);
    } else key = s;
  }
  let value: SysctlValue | undefined;
  if (vf) {
    const vp = join(path, 'value');
    const v = ctx.deref(vf.value);
    if (v !== null && isMap(v)) {
      const VF = ctx.fields(v, vp, SYSCTL_VALUE_KEYS);
      const cf = VF.get('current_maps');
      if (!cf) ctx.error(v, vp, `expected { current_maps: ±n } (the process's VMA count at this step, plus n)`);
      else {
        const d = ctx.deref(cf.value);
        if (d !== null && isScalar(d) && typeof d.value === 'number' && Number.isSafeInteger(d.value) && Math.abs(d.value) <= MAPS_DELTA_MAX) {
          value = { kind: 'current_maps', delta: d.value };
        } else ctx.error(ctx.where(cf), join(vp, 'current_maps'), `expected an integer from -${MAPS_DELTA_MAX} to +${MAPS_DELTA_MAX}, got ${describe(d)}`);
      }
    } else {
      const n = readBigInt(ctx, vf, vp, I64_MIN, U64_MAX, 'a number or { current_maps: ±n }');
      if (n !== undefined) value = { kind: 'number', value: BigInt(n) };
    }
  }
  if (key === undefined || value === undefined) return undefined;
  return { kind: 'sysctl', key, value, outcome, pos };
}

function readList<T>(ctx: Ctx, f: Field, path: string, what: string, item: (n: Node | null, p: string) => T | undefined): T[] | undefined {
  const items = ctx.seq(f, path, `a list of ${what}`);
  if (!items) return undefined;
  const out: T[] = [];
  let ok = true;
  items.forEach((n, i) => {
    const v = item(n, `${path}[${i}]`);
    if (v === undefined) ok = false;
    else out.push(v);
  });
  return ok ? out : undefined;
}

/** `expect.special`: a list of { target, vmas?, names?, perms?, pages? }. */
export function readSpecial(ctx: Ctx, f: Field, path: string, scope: Scope): SpecialExpectation[] | undefined {
  const items = ctx.seq(f, path, 'a list of { target, vmas?, names?, perms?, pages? }');
  if (!items) return undefined;
  const out: SpecialExpectation[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const ip = `${path}[${i}]`;
    const m = ctx.map(item, f.key, ip, `a mapping { ${list(SPECIAL_KEYS)} }`);
    if (!m) {
      ok = false;
      return;
    }
    const F = ctx.fields(m, ip, SPECIAL_KEYS);
    const tf = ctx.required(F, m, ip, 'target');
    const target = tf ? pick(ctx, tf, join(ip, 'target'), SPECIAL_AREAS) : undefined;
    const e: SpecialExpectation = { target: target ?? 'heap', pos: ctx.pos(m) };
    const vf = F.get('vmas');
    if (vf) {
      const v = ctx.int(vf, join(ip, 'vmas'), 0);
      if (v === undefined) ok = false;
      else e.vmas = v;
    }
    const str = (n: Node | null, p: string): string | undefined => {
      const s = ctx.deref(n);
      if (s !== null && isScalar(s) && typeof s.value === 'string') return s.value;
      ctx.error(n ?? m, p, `expected a string, got ${describe(s)}`);
      return undefined;
    };
    const nf = F.get('names');
    if (nf) {
      const v = readList(ctx, nf, join(ip, 'names'), 'maps names such as "[heap]"', str);
      if (v === undefined) ok = false;
      else e.names = v;
    }
    const pf = F.get('perms');
    if (pf) {
      const v = readList(ctx, pf, join(ip, 'perms'), 'perms such as rw-p', (n, p) => {
        const s = str(n, p);
        if (s !== undefined && !PERMS.test(s)) {
          ctx.error(n ?? m, p, `invalid perms ${JSON.stringify(s)}; expected 4 characters [r-][w-][x-][ps], e.g. rw-p`);
          return undefined;
        }
        return s;
      });
      if (v === undefined) ok = false;
      else e.perms = v;
    }
    const gf = F.get('pages');
    if (gf) {
      const v = readList(ctx, gf, join(ip, 'pages'), 'page counts', (n, p) => {
        const s = ctx.deref(n);
        if (s !== null && isScalar(s) && typeof s.value === 'number' && Number.isSafeInteger(s.value) && s.value >= 1) return s.value;
        ctx.error(n ?? m, p, `expected an integer >= 1 (pages of one VMA), got ${describe(s)}`);
        return undefined;
      });
      if (v === undefined) ok = false;
      else e.pages = v;
    }
    if (!target) ok = false;
    if (target === 'child' && scope.branch !== 'parent' && tf) {
      ctx.error(tf.value, join(ip, 'target'), "target child reads the maps of the enclosing fork's child: use it in a fork's parent: steps (the child is alive there)");
      ok = false;
    }
    if (!vf && !nf && !pf && !gf) {
      ctx.error(m, ip, 'a special entry needs at least one of: vmas, names, perms, pages');
      ok = false;
    }
    if (target === 'heap' && vf && e.vmas !== undefined && e.vmas > 0 && !state(ctx).heapGrown) {
      ctx.error(vf.value, join(ip, 'vmas'), 'the heap has no VMA until brk grows it; add a brk: { grow: n } step before');
      ok = false;
    }
    // The lists and the count describe the same VMAs.
    const lengths: [string, number][] = [];
    if (e.vmas !== undefined) lengths.push(['vmas', e.vmas]);
    if (e.names) lengths.push(['names', e.names.length]);
    if (e.perms) lengths.push(['perms', e.perms.length]);
    if (e.pages) lengths.push(['pages', e.pages.length]);
    const first = lengths[0];
    const odd = lengths.find(([, n]) => first && n !== first[1]);
    if (first && odd) {
      ctx.error(m, ip, `${odd[0]} describes ${odd[1]} VMA(s) but ${first[0]} ${first[1]}; give one entry per VMA`);
      ok = false;
    }
    out.push(e);
  });
  return ok ? out : undefined;
}

/** Whether a `name` step's mapping names a target (it is then read by readNameTarget). */
export function isNameTarget(m: YAMLMap): boolean {
  return m.items.some((p) => isScalar(p.key) && p.key.value === 'target');
}

/** The added step kinds, each with its reader. */
export function readExtraStep(
  ctx: Ctx,
  kind: 'mremap' | 'madvise' | 'process_madvise' | LockCall | 'brk' | 'sysctl',
  m: YAMLMap,
  path: string,
  scope: Scope,
  pos: SourcePos,
): Step | undefined {
  switch (kind) {
    case 'mremap':
      return readMremap(ctx, m, path, scope, pos);
    case 'madvise':
      return readMadvise(ctx, m, path, scope, pos);
    case 'process_madvise':
      return readProcessMadvise(ctx, m, path, scope, pos);
    case 'mlock':
    case 'munlock':
    case 'mseal':
      return readLock(ctx, kind, m, path, scope, pos);
    case 'brk':
      return readBrk(ctx, m, path, pos);
    case 'sysctl':
      return readSysctl(ctx, m, path, pos);
  }
}

/** `touch.errno`: a touch can only fail with EFAULT (the page faulted: SIGSEGV or SIGBUS); undefined after an error. */
export function readTouchErrno(ctx: Ctx, F: Fields, path: string): Outcome | undefined {
  const outcome = readErrno(ctx, F, path);
  const f = F.get('errno');
  if (f && outcome.errno !== null && outcome.errno !== 'EFAULT') {
    ctx.error(f.value, join(path, 'errno'), `a touch fails only with EFAULT (the page faulted: SIGSEGV or SIGBUS), not ${outcome.errno}`);
    return undefined;
  }
  return f && outcome.errno === null ? undefined : outcome;
}
