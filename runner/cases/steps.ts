// The steps of a case, one entry per kind in the STEPS table (as a kernel `*_operations` table):
// its shape (zod), its resolve into the model, and so its model type: Step is derived from the
// table. A step list item is a mapping with exactly one step key and an optional `when`.
// Adding a step kind is adding an entry here (and its plan op, runner/plan/).
import { z } from 'zod';
import { AREA_KEYS, pagesOf } from './area.js';
import { EXPECT_SHAPE, resolveExpect, type At, type Expectation } from './expect.js';
import { GUEST_LIMITS, guestTakes } from './limits.js';
import { Scope, type Resolver } from './resolve.js';
import { ADVICE, ADVICE_NAMES, PROCESS_MADVISE_HINT } from './steps/advice.js';
import {
  bigInt,
  bool,
  CASE_PAGE_SIZE,
  errno,
  int,
  label,
  listOf,
  nameValue,
  narrow,
  needs,
  obj,
  oneOf,
  pattern,
  perPage,
  RANGE_KEYS,
  REGION_ID,
  requirements,
  says,
  type Outcome,
  type PageRange,
  type RangeKeys,
  type Requirements,
  type SourcePos,
  windowPage,
} from './shapes.js';
import { describe, isMapping, list, pathText, sub, type KeyPath } from './tree.js';

/** Where a step is written: its value's key path, the position of its kind, the region ids visible. */
interface StepAt extends At {
  pos: SourcePos;
}

export interface StepDef<M> {
  shape: z.ZodType;
  /** The step's value as written and as checked by `shape` (undefined when it did not fit) → its model without kind, pos, when; undefined once reported. */
  resolve(raw: unknown, checked: unknown, r: Resolver, at: StepAt): M | undefined;
  /** The Kconfig options a step of this kind needs: the case's `requires` gets them (./implied.ts). */
  kconfig?(step: M): readonly string[];
}

/** A step kind whose value `resolve` sees once it fits `shape`; `kconfig`: the options its steps need. */
const kind = <S extends z.ZodType, M>(shape: S, resolve: (s: z.output<S>, r: Resolver, at: StepAt) => M | undefined, kconfig?: (step: M) => readonly string[]): StepDef<M> => ({
  shape,
  resolve: (_raw, checked, r, at) => (checked === undefined ? undefined : resolve(checked as z.output<S>, r, at)),
  ...(kconfig ? { kconfig } : {}),
});

const outcome = (s: { errno?: string }): Outcome => ({ errno: s.errno ?? null });
/** A step on a page range: `region` (+ `page`, `pages`) or `at` + `pages`, its own keys, `errno`. */
const ranged = <S extends z.core.$ZodLooseShape>(own: S, description: string) => obj({ ...RANGE_KEYS, ...own, errno: errno.optional() }).describe(description);
const onRange = <S extends RangeKeys & { errno?: string }>(s: S, r: Resolver, { path, scope }: StepAt) => {
  const range = r.range(s, path, scope);
  return range && { range, outcome: outcome(s) };
};
/** A step kind on a page range whose model is the range, the outcome and what `more` makes of its own keys. */
const rangeKind = <S extends z.core.$ZodLooseShape, M extends object>(own: S, description: string, more: (s: z.output<ReturnType<typeof ranged<S>>>) => M) =>
  kind(ranged(own, description), (s, r, at) => {
    const done = onRange(s as RangeKeys & { errno?: string }, r, at);
    return done && { ...done, ...more(s) };
  });

// --- map ----------------------------------------------------------------------------------------

/** YAML prot words → the plan's prot text. */
export const PROT = { none: '---', r: 'r--', rw: 'rw-', rx: 'r-x', rwx: 'rwx', w: '-w-', x: '--x', wx: '-wx' } as const;
const prot = oneOf(Object.keys(PROT) as [keyof typeof PROT, ...(keyof typeof PROT)[]]).describe('protection (default rw)');

/** The mmap flags of a `map` step: each a boolean key and a word of the plan's `<flags>` (docs/protocol.md; read by `flags_arg`, c-helpers/plan_parse.h). */
const MAP_FLAG_TEXT = {
  noreserve: 'MAP_NORESERVE',
  growsdown: 'MAP_GROWSDOWN',
  populate: 'MAP_POPULATE',
  fixed_noreplace: 'MAP_FIXED_NOREPLACE instead of MAP_FIXED: EEXIST unless the range is free (the window reserve is not)',
  droppable: 'MAP_DROPPABLE (Linux 6.11+) in place of MAP_PRIVATE, so not with shared; EINVAL before 6.11',
} as const;
export type MapFlag = keyof typeof MAP_FLAG_TEXT;
export const MAP_FLAGS = Object.keys(MAP_FLAG_TEXT) as MapFlag[];

/** What a `map` step maps, when not plain anonymous memory (`backing:`). */
export type MapBacking =
  /** A file created on the guest's tmpfs (/tmp), sized to the mapping; unlinked before or after mmap, or never. */
  | { kind: 'tmpfs'; unlink: 'before' | 'after' | null }
  /** memfd_create(2). */
  | { kind: 'memfd' }
  /** /dev/zero. */
  | { kind: 'zero' };

/** A new region id (map's, or mremap's destination). */
const regionId = (what: string) => pattern(REGION_ID, ' (a region id)', (s) => `invalid region id ${JSON.stringify(s)}; ids match [a-z][a-z0-9_]*`).describe(what);

/** Defines a new region id in this scope (and case-wide for hints); false once a duplicate is reported. `key` is its `id:` key, in the step at `line`. */
function defineRegion(scope: Scope, r: Resolver, id: string, range: PageRange | null, key: KeyPath, line: number): boolean {
  const prev = scope.lookup(id);
  if (prev) {
    r.error(key, `duplicate region id ${JSON.stringify(id)}; already defined at ${prev.path}`);
    return false;
  }
  const region = { id, range, path: `${pathText(key)} (line ${line})` };
  scope.define(region);
  if (!r.allRegions.has(id)) r.allRegions.set(id, region);
  return true;
}

const MAP = obj({
  id: regionId('names the page range for later steps (region:)').optional(),
  at: windowPage(),
  pages: int(1).describe('a number of pages'),
  prot: prot.optional(),
  shared: bool().describe('MAP_SHARED (default false: MAP_PRIVATE)').optional(),
  ...(Object.fromEntries(MAP_FLAGS.map((f) => [f, bool().describe(MAP_FLAG_TEXT[f]).optional()])) as Record<MapFlag, z.ZodOptional<z.ZodBoolean>>),
  backing: oneOf(['anon', 'tmpfs', 'memfd', 'zero']).describe('what is mapped (default anon): a tmpfs file /tmp/vmaspec-<id>, memfd_create("vmaspec-<id>"), /dev/zero').optional(),
  unlink: oneOf(['before', 'after', 'never']).describe('tmpfs only: remove the file name before or after mmap (default never)').optional(),
  errno: errno.optional(),
}).describe('mmap(MAP_FIXED|MAP_ANONYMOUS) at a window page');

function resolveMap(raw: unknown, checked: unknown, r: Resolver, { path, pos, scope }: StepAt) {
  const at = (key: string): KeyPath => sub(path, key);
  const define = (id: string, range: PageRange | null): boolean => defineRegion(scope, r, id, range, at('id'), pos.line);
  const s = checked as z.output<typeof MAP> | undefined;
  if (!s) {
    // An invalid step's id: later references to it stay quiet instead of cascading.
    const id = isMapping(raw) ? raw['id'] : undefined;
    if (typeof id === 'string' && !scope.lookup(id)) define(id, null);
    return undefined;
  }
  const reported = r.diags.length;
  const id = s.id ?? null;
  const range = r.range(s, path, scope);
  if (id !== null) define(id, range ?? null);
  // MAP_DROPPABLE is a mapping type of its own (0x08), in place of MAP_PRIVATE or MAP_SHARED.
  if (s.droppable && s.shared) r.error(at('shared'), 'droppable is the mapping type MAP_DROPPABLE, in place of MAP_PRIVATE and MAP_SHARED; leave shared false');
  const backing = s.backing ?? 'anon';
  if (s.unlink !== undefined && backing !== 'tmpfs' && !r.dropped(path).includes('backing')) r.error(at('unlink'), `unlink is only for backing: tmpfs (a file with a name to unlink); backing here is ${backing}`, 'key');
  const { backingName } = GUEST_LIMITS;
  if (id !== null && (backing === 'tmpfs' || backing === 'memfd') && id.length > backingName.value) {
    r.error(at('id'), `region id is ${id.length} characters and names the ${backing} file; ${guestTakes(backingName, ' characters')}`);
  }
  if (r.diags.length > reported || !range) return undefined;
  const b: MapBacking | null = backing === 'anon' ? null : backing === 'tmpfs' ? { kind: 'tmpfs', unlink: s.unlink === undefined || s.unlink === 'never' ? null : s.unlink } : { kind: backing };
  const flags = MAP_FLAGS.filter((f) => s[f]);
  return { id, range, prot: PROT[s.prot ?? 'rw'] as string, shared: s.shared ?? false, flags, outcome: outcome(s), ...(b ? { backing: b } : {}) };
}

// --- name -----------------------------------------------------------------------------------------

export const NAME_POINTERS = ['unmapped', 'prot-none', 'runs-off'] as const;
/**
 * Where a `name` step's name pointer points, instead of a good NUL-terminated buffer (R2):
 * `unmapped` an address with nothing mapped; `prot-none` the name's bytes, NUL-terminated, in a
 * PROT_NONE page; `runs-off` the bytes, no NUL, at the very end of a page followed by an unmapped page.
 */
export type NamePointer = (typeof NAME_POINTERS)[number];
export const NAME_TARGETS = ['heap', 'stack', 'stack-bottom-page', 'vdso', 'vdso-page', 'vvar', 'vvar-page'] as const;
/** VMAs outside the window that a `name` step can target (F5, S15, S16); the probe finds them in /proc/self/maps. */
export type NameTarget = (typeof NAME_TARGETS)[number];
/** What `fail_nth` needs: /proc/thread-self/fail-nth, failslab, and its debugfs knobs. */
export const FAIL_NTH_KCONFIG = ['FAULT_INJECTION', 'FAILSLAB', 'FAULT_INJECTION_DEBUG_FS'] as const;
/** The largest `fail_nth`: a prctl reaches a handful of allocation points. */
export const FAIL_NTH_MAX = 1000;
const U64_MAX = (1n << 64n) - 1n;
/** Addresses outside the reservation a `name` step can start at (R19), by the words a case uses. */
export const NAME_ADDRESSES = {
  zero: 0n,
  task_size: 0x7ffffffff000n,
  noncanonical: 0x800000000000n,
  direct_map: 0xffff888000000000n,
  kernel: 0xffffffff81000000n,
  top: 0xfffffffffffff000n,
} as const;
/** Pages a `name` step's `at` may reach beyond each end of the window: the guard page and the hole past it (R20). */
export const NAME_REACH = 2;
const ADDRESS_WORDS = Object.keys(NAME_ADDRESSES) as [keyof typeof NAME_ADDRESSES, ...(keyof typeof NAME_ADDRESSES)[]];
const addressError = says((v) => `expected one of ${list(ADDRESS_WORDS)} or a "0x…" address, got ${describe(v)}`);

const NAME = ranged(
  {
    name: nameValue.optional(),
    len: bigInt(0n, U64_MAX, 'a byte length').describe('bytes, instead of pages × 4096: any u64 (R7), as an integer or a string of digits or 0x hex').optional(),
    offset: int(0, CASE_PAGE_SIZE - 1, ' (bytes added to the start)').describe('bytes added to the start').optional(),
    pointer: oneOf(NAME_POINTERS).describe('a name pointer the kernel cannot read (R2); unmapped takes no name').optional(),
    fail_nth: int(1, FAIL_NTH_MAX, ' (the Nth allocation of the call fails)').describe('R5: the Nth allocation (fault-injection point) of the prctl fails').optional(),
    target: oneOf(NAME_TARGETS).describe('name a VMA outside the window instead (then only name and errno)').optional(),
    at: z.int(says((v) => `expected an integer (a page of the window, or up to ${NAME_REACH} beyond either end), got ${describe(v)}`)).describe(`a page of the window, or up to ${NAME_REACH} beyond either end (the guard page, the hole past it)`).optional(),
    sub_option: bigInt(0n, U64_MAX, 'a PR_SET_VMA sub-option').describe('arg2 of prctl(PR_SET_VMA) (default 0, PR_SET_VMA_ANON_NAME; others are EINVAL: R1)').optional(),
    address: z
      .union([z.enum(ADDRESS_WORDS, addressError), z.string(addressError).regex(/^0x[0-9a-fA-F]{1,16}$/, addressError)], addressError)
      .describe(`start at this address outside the window's reservation instead (R19): ${list(ADDRESS_WORDS)} or "0x…"; len defaults to 4096`)
      .optional(),
  },
  'prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, start, len, name)',
);

/** What a `name` step does. */
export interface NameStep {
  /** Byte offset from page 0 of the window and byte length, at a 4096-byte page (x86_64). */
  start: number;
  /** A bigint when it does not fit a JS number (R7: lengths near 2^64). */
  len: number | bigint;
  name: Uint8Array | null;
  outcome: Outcome;
  /** A bad name pointer instead of the name buffer (R2); `name` then gives the bytes (null for `unmapped`). */
  pointer?: NamePointer;
  /** R5: the Nth fault-injection point (slab allocation) the prctl reaches fails (`/proc/thread-self/fail-nth`). */
  failNth?: number;
  /** Name a VMA outside the window, found by the probe (F5, S15, S16); start, len and range are then unused. */
  target?: NameTarget;
  /** arg2 of prctl(PR_SET_VMA) when not 0 (PR_SET_VMA_ANON_NAME): R1. */
  subOption?: number | bigint;
  /** An absolute start outside the reservation (R19) instead of a window byte offset; range is then unused. */
  address?: bigint;
  /**
   * How start/len were written, for other page sizes: start = range.at * pageSize + offset,
   * len = byteLen ?? range.pages * pageSize. Absent on steps built by hand (start/len are then final).
   */
  range?: PageRange;
  offset?: number;
  byteLen?: number | bigint | null;
}

function resolveName(s: z.output<typeof NAME>, r: Resolver, { path, scope }: StepAt): NameStep | undefined {
  const at = (key: string): KeyPath => sub(path, key);
  if (s.target !== undefined) {
    const extra = Object.keys(s).filter((k) => !['target', 'name', 'errno'].includes(k));
    for (const k of extra) r.error(at(k), `unknown key ${JSON.stringify(k)}; allowed: target, name, errno`, 'key');
    if (s.name === undefined) r.missing(path, ['name']);
    const heapless = s.target === 'heap' && !r.hasHeap(at('target'));
    const name = s.name === undefined ? undefined : r.nameBytes(s.name, at('name'));
    return extra.length || heapless || name === undefined ? undefined : { start: 0, len: 0, name, outcome: outcome(s), target: s.target };
  }
  const so = s.sub_option;
  const subOption = so ? { subOption: narrow(so) } : {};
  if (s.address !== undefined) return nameAt(s.address, s, subOption, r, path);
  const p = r.pick(s, path, scope, NAME_REACH);
  const byteLen = s.len === undefined ? null : narrow(s.len);
  const pages = p?.pages ?? (byteLen !== null ? null : p?.byRegion ? p.rest : undefined);
  if (p && pages === undefined) r.missing(path, ['pages', 'len']);
  const name = nameOf(s, r, path);
  if (!p || pages === undefined || name === undefined) return undefined;
  const start = p.at * CASE_PAGE_SIZE + (s.offset ?? 0);
  const len = byteLen ?? (pages ?? 0) * CASE_PAGE_SIZE;
  const endBytes = (r.window + NAME_REACH) * CASE_PAGE_SIZE;
  // A len beyond a JS number (R7: near 2^64) is meant to leave the address space.
  if (s.len !== undefined && typeof len === 'number' && start + len > endBytes) return void r.error(at('len'), `len ${len} from byte ${start} runs past page ${r.window + NAME_REACH - 1} (${NAME_REACH} pages beyond the window's ${r.window})`);
  const range = { at: p.at, pages: pages ?? (typeof len === 'number' ? Math.ceil(len / CASE_PAGE_SIZE) : 0) };
  return { start, len, name, outcome: outcome(s), range, offset: s.offset ?? 0, byteLen, ...subOption, ...callKeys(s) };
}

/** The bytes a `name` step passes (null: none, or clear); undefined once reported. */
function nameOf(s: z.output<typeof NAME>, r: Resolver, path: KeyPath): Uint8Array | null | undefined {
  if (s.pointer === 'unmapped') {
    return s.name === undefined ? null : void r.error(sub(path, 'name'), 'pointer: unmapped passes an address with nothing mapped: no name bytes are used; drop name', 'key');
  }
  if (s.name === undefined) return void r.missing(path, ['name']);
  if (s.pointer !== undefined && s.name === null) return void r.error(sub(path, 'name'), `pointer: ${s.pointer} places the name's bytes; give them as a string, { hex } or { repeat, count }, not null`);
  return r.nameBytes(s.name, sub(path, 'name'));
}

/** How a `name` step's call is made, besides where and what: a bad name pointer, a failing allocation. */
const callKeys = (s: z.output<typeof NAME>): Pick<NameStep, 'pointer' | 'failNth'> => ({ ...(s.pointer ? { pointer: s.pointer } : {}), ...(s.fail_nth ? { failNth: s.fail_nth } : {}) });

/** A `name` step at an absolute `address` outside the window's reservation: the keys of a window range do not apply. */
function nameAt(written: string, s: z.output<typeof NAME>, subOption: Pick<NameStep, 'subOption'>, r: Resolver, path: KeyPath): NameStep | undefined {
  const at = (key: string): KeyPath => sub(path, key);
  const windowKeys = (['region', 'at', 'page', 'pages', 'offset', 'target'] as const).filter((k) => s[k] !== undefined);
  for (const k of windowKeys) r.error(at(k), `${k} is a window key; with address give len (bytes, default 4096), name, sub_option, pointer, fail_nth, errno`, 'key');
  const address = written in NAME_ADDRESSES ? NAME_ADDRESSES[written as keyof typeof NAME_ADDRESSES] : BigInt(written);
  const lo = BigInt(GUEST_LIMITS.windowAddress.value);
  const hi = lo + BigInt((r.window + 2) * CASE_PAGE_SIZE);
  if (address >= lo && address < hi) return void r.error(at('address'), `address 0x${address.toString(16)} is in the window's reservation (0x${lo.toString(16)}..0x${hi.toString(16)}); use at for window pages`);
  const name = nameOf(s, r, path);
  if (windowKeys.length || name === undefined) return undefined;
  const len = s.len === undefined ? CASE_PAGE_SIZE : narrow(s.len);
  return { start: 0, len, name, outcome: outcome(s), ...subOption, address, ...callKeys(s) };
}

// --- mremap ----------------------------------------------------------------------------------------

/** The MREMAP_ flags by their words in `flags:` (include/uapi/linux/mman.h). */
export const MREMAP_FLAGS = { maymove: 1, fixed: 2, dontunmap: 4 } as const;
const MREMAP_WORDS = Object.keys(MREMAP_FLAGS) as (keyof typeof MREMAP_FLAGS)[];

const MREMAP = ranged(
  {
    to: windowPage().describe('move to this window page (MREMAP_MAYMOVE|MREMAP_FIXED); without it, resize in place').optional(),
    size: int(1, undefined, ' (the new size in pages)').describe("the new size in pages (default: the source's size)").optional(),
    dontunmap: bool().describe('add MREMAP_DONTUNMAP: the source stays mapped, without its pages (needs to; the same size)').optional(),
    flags: z
      .union([listOf(oneOf(MREMAP_WORDS as [string, ...string[]]), 'MREMAP_ words'), int(0, 2 ** 31 - 1, ' (MREMAP_ bits)')], says((v) => `expected a list of ${list(MREMAP_WORDS)} or a number (the raw flags), got ${describe(v)}`))
      .describe('the raw flags instead of those derived from to and dontunmap; to is then only the new address')
      .optional(),
    id: regionId('names the destination as a new region (when the source region keeps its place: part of it, dontunmap, or at)').optional(),
  },
  'mremap of a page range (default: the whole region): resize in place, or move to a window page',
);

function resolveMremap(s: z.output<typeof MREMAP>, r: Resolver, { path, pos, scope }: StepAt) {
  const at = (key: string): KeyPath => sub(path, key);
  const src = r.range(s, path, scope);
  if (s.to !== undefined && !r.inWindow(s.to, at('to'))) return undefined;
  if (!src) return undefined;
  if (s.dontunmap && s.flags !== undefined) return void r.error(at('dontunmap'), 'flags gives the raw flags; put dontunmap in its list', 'key');
  if (s.dontunmap && s.to === undefined) return void r.error(at('dontunmap'), 'dontunmap needs `to` (MREMAP_DONTUNMAP is always a move)', 'key');
  const size = s.size ?? src.pages;
  if (s.dontunmap && size !== src.pages && s.errno !== 'EINVAL') {
    return void r.error(at('size'), `dontunmap keeps the size (${src.pages} pages here); another size is EINVAL: give errno: EINVAL or drop size`);
  }
  const flags = s.flags === undefined ? (s.to === undefined ? 0 : MREMAP_FLAGS.maymove | MREMAP_FLAGS.fixed | (s.dontunmap ? MREMAP_FLAGS.dontunmap : 0)) : typeof s.flags === 'number' ? s.flags : s.flags.reduce((m, w) => m | MREMAP_FLAGS[w as keyof typeof MREMAP_FLAGS], 0);
  const fixed = (flags & MREMAP_FLAGS.fixed) !== 0;
  if (s.errno === undefined && flags & MREMAP_FLAGS.maymove && !fixed) return void r.error(at('flags'), 'MREMAP_MAYMOVE without MREMAP_FIXED lets the kernel move the region out of the window; give `to`');
  if (s.errno === undefined && fixed && s.to === undefined) return void r.error(at('flags'), 'MREMAP_FIXED moves to `to`; give to (the window page)');
  const dest = { at: fixed ? (s.to as number) : src.at, pages: size };
  if (dest.at + size > r.window) return void r.error(at(s.size !== undefined ? 'size' : s.to !== undefined ? 'to' : 'pages'), `${size} pages at page ${dest.at} run past the window (${r.window} pages)`);
  // After a successful call: a whole region that moves names its new place; else `id` names the destination.
  const region = s.region === undefined ? undefined : scope.lookup(s.region);
  const moves = region?.range?.at === src.at && region.range.pages === src.pages && !(flags & MREMAP_FLAGS.dontunmap);
  if (s.id !== undefined) {
    if (s.errno !== undefined) return void r.error(at('id'), `a failed mremap (errno: ${s.errno}) makes no destination; drop id`, 'key');
    if (moves) return void r.error(at('id'), `the whole region ${JSON.stringify(s.region)} moves and keeps its id; id names the destination only when the source stays (part of a region, dontunmap, or at)`, 'key');
    if (!defineRegion(scope, r, s.id, dest, at('id'), pos.line)) return undefined;
  } else if (s.errno === undefined && moves && region) scope.define({ ...region, range: dest });
  return { range: src, newPages: size, to: s.to ?? null, flags, outcome: outcome(s) };
}

// --- touch ----------------------------------------------------------------------------------------

/** The byte a write touch leaves when the case gives no `value`. */
export const TOUCH_DEFAULT = 0xa5;
const TOUCH_BYTE = int(0, 255, ' (a byte)');

// --- the others -------------------------------------------------------------------------------------

const advice = z
  .union([oneOf(ADVICE_NAMES as [string, ...string[]]), int(0, 2 ** 31 - 1, ' (a MADV_ number)')], says((v) => `expected one of ${list(ADVICE_NAMES)}, got ${describe(v)}`))
  .describe('a MADV_ name without the prefix, in lower case, or a number');
const adviceOf = (a: string | number) => (typeof a === 'number' ? { advice: String(a), adviceNumber: a } : { advice: a, adviceNumber: ADVICE[a] ?? -1 });

/** A `sysctl` value: a number, or the process's VMA count at that moment plus a delta (S18). */
export type SysctlValue = { kind: 'number'; value: bigint } | { kind: 'current_maps'; delta: number };
const MAPS_DELTA_MAX = 1_000_000;
const delta = says((v) => (v === undefined ? "missing required key \"current_maps\" (the process's VMA count at this step, plus n)" : `expected an integer from -${MAPS_DELTA_MAX} to +${MAPS_DELTA_MAX}, got ${describe(v)}`));
const SYSCTL = obj({
  key: pattern(/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/, ' such as vm.max_map_count', (s) => `invalid sysctl key ${JSON.stringify(s)}; expected dotted lower-case words as in sysctl(8), e.g. vm.max_map_count`).describe(
    'a sysctl name such as vm.max_map_count',
  ),
  value: z
    .union(
      [
        bigInt(-(1n << 63n), U64_MAX, 'a number or { current_maps: ±n }'),
        obj({ current_maps: z.int(delta).min(-MAPS_DELTA_MAX, delta).max(MAPS_DELTA_MAX, delta).describe("the process's VMA count at this step, plus this") }),
      ],
      says((v) => `expected a number or { current_maps: ±n } (the process's VMA count at this step, plus n), got ${describe(v)}`),
    )
    .describe('an integer, or { current_maps: ±n }'),
  errno: errno.optional(),
}).describe('write /proc/sys/<key>; the process puts the old value back when it ends');

/** A fork's branches: `child` steps run in a forked child, `parent` steps while it lives. */
export interface ForkStep {
  child: Step[];
  parent: Step[];
}

// --- sync ------------------------------------------------------------------------------------------

const SYNC = obj({
  label: label('sync').describe('names the point; the same label, in the same order, in the child: and parent: lists'),
}).describe("an ordering point between a fork's child and parent: each runs its steps up to its next sync in turn, the child first");

/** A sync point of a fork branch: `side` is the branch it is written in. */
export interface SyncStep {
  label: string;
  side: 'child' | 'parent';
}

function resolveSync(s: z.output<typeof SYNC>, r: Resolver, { path, scope }: StepAt): SyncStep | undefined {
  if (scope.branch === null) return void r.error(path, "sync orders a fork's child and parent; it is only allowed directly in a fork's child: or parent: list", 'key');
  return { label: s.label, side: scope.branch };
}

/**
 * The sync points of a fork block pair up: each label once per branch, and the same labels in the
 * same order in child: and parent:; no `when` on a sync (a guard could unpair them on some kernel).
 */
function pairSyncs(r: Resolver, raw: Record<string, unknown>, path: KeyPath, branches: ForkStep): boolean {
  const reported = r.diags.length;
  const points = (key: 'child' | 'parent') => {
    const items = Array.isArray(raw[key]) ? (raw[key] as unknown[]) : [];
    const seen = new Map<string, number>();
    const out: { label: string; at: KeyPath }[] = [];
    branches[key].forEach((s, i) => {
      if (s.kind !== 'sync') return;
      const item = sub(sub(path, key), i);
      if (s.when) r.error(sub(item, WHEN_KEY), 'sync cannot have a when; guard the steps around it', 'key');
      const prev = seen.get(s.label);
      if (prev !== undefined) {
        r.error(sub(sub(item, 'sync'), 'label'), `sync label ${JSON.stringify(s.label)} is already used at ${pathText(sub(sub(path, key), prev))} (line ${r.keyPos(items[prev] as object, 'sync', sub(sub(path, key), prev)).line}); a label appears once per fork block`);
      }
      seen.set(s.label, i);
      out.push({ label: s.label, at: sub(sub(item, 'sync'), 'label') });
    });
    return out;
  };
  const child = points('child');
  const parent = points('parent');
  if (r.diags.length > reported) return false;
  const k = [...Array(Math.max(child.length, parent.length)).keys()].find((i) => child[i]?.label !== parent[i]?.label);
  if (k === undefined) return true;
  const [c, p] = [child[k], parent[k]];
  const order = (ps: { label: string }[]): string => (ps.length ? ps.map((x) => x.label).join(', ') : 'none');
  const also = `child syncs: ${order(child)}; parent syncs: ${order(parent)}`;
  if (c && p) r.error(c.at, `sync ${JSON.stringify(c.label)} of the child pairs with sync ${JSON.stringify(p.label)} of the parent; both lists need the same labels in the same order (${also})`);
  else if (c) r.error(c.at, `sync ${JSON.stringify(c.label)} of the child has no partner in parent: (${also})`);
  else if (p) r.error(p.at, `sync ${JSON.stringify(p.label)} of the parent has no partner in child: (${also})`);
  return false;
}

/**
 * A list of steps. Each item is checked (stepItem) as it is resolved, so the shape has no cycle
 * through fork (a cycle makes zod guard every value against cyclic input, for a 5x slower check).
 */
export const STEP_LIST = listOf(z.unknown().meta({ $ref: '#/$defs/step' }), 'steps');

// --- the table ----------------------------------------------------------------------------------------

export const STEPS = {
  map: { shape: MAP, resolve: resolveMap },
  unmap: rangeKind({}, 'munmap of a page range', () => ({})),
  mprotect: rangeKind({ prot }, 'mprotect of a page range', (s) => ({ prot: PROT[s.prot] as string })),
  // Without ANON_VMA_NAME every prctl(PR_SET_VMA) is EINVAL (P2).
  name: kind(NAME, resolveName, (s) => ['ANON_VMA_NAME', ...(s.failNth !== undefined ? FAIL_NTH_KCONFIG : [])]),
  touch: kind(
    ranged(
      {
        access: oneOf(['read', 'write']).describe('how each page is touched (default write)').optional(),
        value: perPage(TOUCH_BYTE, 'a byte 0..255')
          .describe(`the byte written to the first byte of each page (default ${TOUCH_DEFAULT}): one for every page, or a list with one per page`)
          .optional(),
        ...AREA_KEYS,
      },
      'read or write the first byte of each page: of the window, or of the heap or stack (target)',
    ),
    (s, r, at) => {
      // A touch faults (SIGSEGV, SIGBUS) or it does not.
      if (s.errno !== undefined && s.errno !== 'EFAULT') return void r.error(sub(at.path, 'errno'), `a touch fails only with EFAULT (the page faulted: SIGSEGV or SIGBUS), not ${s.errno}`);
      if (s.value !== undefined && s.access === 'read') return void r.error(sub(at.path, 'value'), 'value is the byte a write leaves; access: read writes nothing: drop value or access', 'key');
      const access = s.access === 'read' ? ('r' as const) : ('w' as const);
      /** The bytes written, page i getting value[i mod length]; null: the default. */
      const value = s.value === undefined ? null : Array.isArray(s.value) ? s.value : [s.value];
      // Heap pages past the break fault: a touch may name them when it expects that.
      const range = pagesOf(r, s, at.path, () => onRange(s, r, at)?.range, { beyondHeap: s.errno !== undefined });
      return range && r.perPage(s.value, range.pages, sub(at.path, 'value')) ? { range, outcome: outcome(s), access, value } : undefined;
    },
  ),
  fork: {
    shape: obj({ child: STEP_LIST.describe('steps of the forked child'), parent: STEP_LIST.describe('steps of the parent while the child lives').optional() }, { what: 'a mapping { child: [steps], parent?: [steps] }' }).describe(
      'fork: the child steps run in the child, the parent steps while it lives; then the parent waits',
    ),
    resolve(raw: unknown, _checked: unknown, r: Resolver, { path, scope }: StepAt): ForkStep | undefined {
      if (!isMapping(raw)) return undefined;
      const branch = (key: 'child' | 'parent'): Step[] | undefined =>
        key === 'parent' && raw[key] === undefined ? [] : resolveSteps(r, raw[key], sub(path, key), new Scope(scope, key));
      // The child's brk steps move its own break: the parent's heap is as before the fork.
      const heap = r.heapPages;
      const child = branch('child');
      r.heapPages = heap;
      const parent = branch('parent');
      return child && parent && pairSyncs(r, raw, path, { child, parent }) ? { child, parent } : undefined;
    },
  },
  expect: {
    shape: EXPECT_SHAPE.describe('take a snapshot and check it'),
    resolve: (raw: unknown, _checked: unknown, r: Resolver, at: StepAt) => resolveExpect(raw, r, at),
    // fork_points counts through fail-nth; a `record` of it does not check, so it needs nothing.
    kconfig: (s: { expect: Expectation }) => (s.expect.observe?.forkPoints ? FAIL_NTH_KCONFIG : []),
  },
  mremap: kind(MREMAP, resolveMremap),
  madvise: rangeKind({ advice }, 'madvise of a page range', (s) => adviceOf(s.advice)),
  process_madvise: kind(
    ranged({ advice, ret: int(0, undefined, ` (bytes advised; ${PROCESS_MADVISE_HINT})`).describe('the expected return value: bytes advised').optional() }, "process_madvise on the same range of the enclosing fork's child; in parent: steps only"),
    (s, r, at) => {
      if (at.scope.branch !== 'parent') return void r.error(at.path, "process_madvise advises the child of the enclosing fork: use it in a fork's parent: steps (the child is alive there)");
      if (s.ret !== undefined && s.errno !== undefined) return void r.error(sub(at.path, 'ret'), `ret is the return value on success; with errno: ${s.errno} the call returns -1`, 'key');
      const done = onRange(s, r, at);
      return done && { range: done.range, ...adviceOf(s.advice), outcome: { ...done.outcome, ...(s.ret === undefined ? {} : { ret: s.ret }) } };
    },
  ),
  mlock: rangeKind({ onfault: bool().describe('mlock2(MLOCK_ONFAULT) instead of mlock: lock pages as they fault in (VmFlags lo lf)').optional() }, 'mlock(2) of a page range', (s) => ({ onfault: s.onfault ?? false })),
  munlock: rangeKind({}, 'munlock(2) of a page range', () => ({ onfault: false })),
  mseal: rangeKind({}, 'mseal(addr, len, 0) of a page range (Linux 6.10+, ENOSYS before)', () => ({ onfault: false })),
  brk: kind(
    obj({ grow: int(1, 1 << 20, ' (pages)').describe('pages to move the break up by').optional(), shrink: int(1, 1 << 20, ' (pages)').describe('pages to move the break down by').optional(), errno: errno.optional() }).describe(
      'move the program break by whole pages; the heap exists only after brk grows it',
    ),
    (s, r, { path }) => {
      if (s.grow !== undefined && s.shrink !== undefined) return void r.error(sub(path, 'shrink'), 'give grow or shrink, not both', 'key');
      if (s.grow === undefined && s.shrink === undefined) return void r.missing(path, ['grow', 'shrink'], 'missing required key "grow" or "shrink" (pages)');
      /** Pages to move the program break by (negative shrinks). */
      const pages = s.grow ?? -(s.shrink ?? 0);
      if (s.errno === undefined) r.heapPages = Math.max(0, r.heapPages + pages);
      return { pages, outcome: outcome(s) };
    },
  ),
  sysctl: kind(SYSCTL, (s, r, { path }) => {
    const { sysctlKey } = GUEST_LIMITS;
    if (s.key.length > sysctlKey.value) return void r.error(sub(path, 'key'), `sysctl key is ${s.key.length} characters; ${guestTakes(sysctlKey, ' characters')}`);
    const value: SysctlValue = typeof s.value === 'bigint' ? { kind: 'number', value: s.value } : { kind: 'current_maps', delta: s.value.current_maps };
    return { key: s.key, value, outcome: outcome(s) };
  }),
  memory_merge: kind(
    obj({
      enable: bool().describe('true: every private anonymous VMA, old and new, gets VmFlags mg (KS2); false: none has it (KS4)'),
      errno: errno.optional(),
    }).describe('prctl(PR_SET_MEMORY_MERGE, enable, 0, 0, 0): KSM for the whole process, inherited at fork (Linux 6.4+, EINVAL before)'),
    (s) => ({ enable: s.enable, outcome: outcome(s) }),
    () => ['KSM'],
  ),
  sync: kind(SYNC, resolveSync),
};

type Defs = typeof STEPS;
export type StepKind = keyof Defs;
/** One step of the model; `when`: it runs only on a kernel that meets it (decided when the plan is compiled). */
export type Step = { [K in StepKind]: { kind: K; pos: SourcePos; when?: Requirements } & NonNullable<ReturnType<Defs[K]['resolve']>> }[StepKind];
/** The step kinds that lock or seal a page range, each its own syscall. */
export type LockCall = 'mlock' | 'munlock' | 'mseal';

export const STEP_KINDS = Object.keys(STEPS) as StepKind[];
/** The key beside a step's kind that guards it. */
export const WHEN_KEY = 'when';
const WHEN = needs(requirements('a mapping { kernel?: ">=6.13", kconfig?: [NAME] }'), (w) => w.kernel !== undefined || w.kconfig !== undefined, 'when needs at least one of: kernel, kconfig').meta({
  minProperties: 1,
  description: 'run the step only on a kernel that meets this',
});

/** One item of a step list (`$defs/step` of the JSON Schema). */
export const stepItem = obj(
  { ...(Object.fromEntries(STEP_KINDS.map((k) => [k, STEPS[k].shape.optional()])) as Record<StepKind, z.ZodOptional<z.ZodType>>), [WHEN_KEY]: WHEN.optional() },
  { what: `a step: a mapping with one key of ${list(STEP_KINDS)}`, unknown: `unknown step {key}; allowed: ${list(STEP_KINDS)}` },
).meta({ description: `one step: exactly one of ${list(STEP_KINDS)}; optionally ${WHEN_KEY}`, oneOf: STEP_KINDS.map((k) => ({ properties: { [k]: true }, required: [k] })) });

function resolveWhen(r: Resolver, raw: unknown, path: KeyPath): Requirements | undefined {
  const w = r.check(WHEN, raw, path);
  return w && { kconfig: w.kconfig ?? [], kernel: w.kernel ?? null };
}

function resolveItem(r: Resolver, item: unknown, path: KeyPath, scope: Scope): Step | undefined {
  const keys = isMapping(item) ? Object.keys(item) : [];
  const kinds = keys.filter((k): k is StepKind => Object.hasOwn(STEPS, k));
  const [kind, second] = kinds;
  // Not one known step and its guard: the whole item's shape says what is wrong (not a mapping, an unknown step).
  if (!isMapping(item) || kind === undefined || second !== undefined || keys.length > kinds.length + (WHEN_KEY in item ? 1 : 0)) {
    r.check(stepItem, item, path);
    if (!isMapping(item) || keys.length > kinds.length + (WHEN_KEY in item ? 1 : 0)) return undefined;
    if (second !== undefined) return void r.error(sub(path, second), `a step has exactly one key; found ${kinds.length}: ${list(kinds)}`, 'key', path);
    if (keys.length > 0) r.error(sub(path, WHEN_KEY), 'when guards a step; put the step beside it in the same list item, e.g. - expect: { vmas: 1 }', 'key');
    else r.error(path, `empty step; expected one key of ${list(STEP_KINDS)}`);
    return undefined;
  }
  const at: StepAt = { path: sub(path, kind), pos: r.keyPos(item, kind, path), scope };
  const def = STEPS[kind] as StepDef<object>;
  const body = def.resolve(item[kind], r.check(def.shape, item[kind], at.path), r, at);
  const when = item[WHEN_KEY] === undefined ? null : resolveWhen(r, item[WHEN_KEY], sub(path, WHEN_KEY));
  return body && when !== undefined ? ({ kind, ...body, pos: at.pos, ...(when ? { when } : {}) } as Step) : undefined;
}

/** A list of steps, in order (region ids are defined on the way); undefined when any is wrong. */
export function resolveSteps(r: Resolver, raw: unknown, path: KeyPath, scope: Scope): Step[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const { ops } = GUEST_LIMITS;
  const out: Step[] = [];
  let ok = true;
  for (const [i, item] of raw.entries()) {
    // Every step is at least one plan op: past the limit, reading on only costs time and memory.
    if (r.steps++ === ops.value) r.error(sub(path, i), `more than ${ops.value} steps in this case (aliases expanded); ${guestTakes(ops, ' ops')} per case`);
    if (r.steps > ops.value) return undefined;
    const s = resolveItem(r, item, sub(path, i), scope);
    if (s) out.push(s);
    else ok = false;
  }
  return ok ? out : undefined;
}
