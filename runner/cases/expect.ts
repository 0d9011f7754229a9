// What an `expect` step checks, one entry per key of the EXPECTATIONS table: its shape (zod), how
// it resolves into the model, and where the model keeps it (`layout`, `vmas`, `special`, or under
// `observe`: smaps, smaps_rollup, raw maps lines, PROCMAP_QUERY, map_files, pagemap, contains, data).
// The model types (Expectation, ObserveExpectation and their items) come from the entries.
import { z } from 'zod';
import { MAPFILE_SPELLINGS, PAGE_AREAS, QUERY_FILES, QUERY_NAME_ADDRS, SMAPS_FIELDS, type PageArea } from '../plan/observe-ops.js';
import { AREA_KEYS, AREA_TARGET, pagesOf } from './area.js';
import { PAGEMAP_BIT_NAMES } from '../results/pagemap.js';
import { MAPS_LINE_PLACEHOLDERS, ROLLUP_PLACEHOLDERS } from '../verdict/placeholders.js';
import type { Resolver, Scope, VmaSelector } from './resolve.js';
import { bool, errnoName, int, label, listOf, needs, obj, oneOf, pattern, perPage, perms, RANGE_KEYS, says, str, type PageRange, type RangeKeys, type SourcePos } from './shapes.js';
import { describe, isMapping, list, pathText, sub, type KeyPath } from './tree.js';

/** Where an expectation is written, and the region ids visible there. */
export interface At {
  path: KeyPath;
  scope: Scope;
}

/** smaps_rollup fields (F8). */
export const ROLLUP_FIELDS = [
  'Rss', 'Pss', 'Pss_Dirty', 'Pss_Anon', 'Pss_File', 'Pss_Shmem', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean',
  'Private_Dirty', 'Referenced', 'Anonymous', 'KSM', 'LazyFree', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped',
  'Shared_Hugetlb', 'Private_Hugetlb', 'Swap', 'SwapPss', 'Locked',
] as const;

/** VmFlags codes of 6.12 (`show_smap_vma_flags()`, fs/proc/task_mmu.c); `??` is a flag without a code. */
export const VMFLAG_CODES = [
  'rd', 'wr', 'ex', 'sh', 'mr', 'mw', 'me', 'ms', 'gd', 'pf', 'lo', 'io', 'sr', 'rr', 'dc', 'de', 'lf', 'ac', 'nr', 'ht',
  'sf', 'ar', 'wf', 'dd', 'bt', 'sd', 'mm', 'hg', 'nh', 'mg', 'um', 'uw', 'mt', 'ui', 'ss', 'dp', 'sl', '??',
] as const;

/** PROCMAP_QUERY_* query flags (Q3), by the words a case uses. */
export const QUERY_FLAGS = { readable: 0x1, writable: 0x2, executable: 0x4, shared: 0x8, covering_or_next: 0x10, file_backed: 0x20 } as const;
const QUERY_STRUCT_SIZE = 104;
const NAME_BUF_MAX = 4096;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The keys of an object whose value is not undefined, the others left out (optional in the type). */
const defined = <T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };

// --- numbers and expressions ------------------------------------------------------------------

/** One term of an operand: `sign × (field or constant) × mul / div`. */
export interface Term {
  sign: 1 | -1;
  /** A field of the same VMA (or of the rollup); null for a constant. */
  field: string | null;
  value: number;
  mul: number;
  div: number;
}

/** A number, or an expression over other fields such as `Rss/2` or `Shared_Dirty + Private_Dirty`. */
export interface Operand {
  /** As written, for messages. */
  text: string;
  terms: Term[];
}

export const CHECK_OPS = ['eq', 'ne', 'min', 'max', 'lt', 'gt'] as const;
export type CheckOp = (typeof CHECK_OPS)[number];
/** Bounds a number must meet, all of them: `eq`, `ne`, `min` (>=), `max` (<=), `lt`, `gt`. */
export type NumberCheck = Partial<Record<CheckOp, Operand>>;

/** Parses `Rss/2`, `Shared_Dirty + Private_Dirty`, `Size - 4`, `2*Pss`; the error when it does not parse. */
export function parseOperand(text: string, fields: readonly string[]): { operand: Operand } | { error: string } {
  const tokens = text.match(/[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[-+*/]|\S/g) ?? [];
  let i = 0;
  const terms: Term[] = [];
  let sign: 1 | -1 = 1;
  if (tokens[0] === '-') {
    sign = -1;
    i++;
  }
  for (;;) {
    const atom = tokens[i++];
    if (atom === undefined) return { error: 'expected a field name or a number at the end' };
    const term: Term = { sign, field: null, value: 0, mul: 1, div: 1 };
    if (/^[0-9]+$/.test(atom)) term.value = Number(atom);
    else if (FIELD_NAME.test(atom)) {
      if (!fields.includes(atom)) return { error: fields.length ? `unknown field ${JSON.stringify(atom)}; fields: ${list(fields)}` : `a field name (${JSON.stringify(atom)}) is not allowed here; give a number` };
      term.field = atom;
    } else return { error: `unexpected ${JSON.stringify(atom)}` };
    while (tokens[i] === '*' || tokens[i] === '/') {
      const op = tokens[i++];
      const n = tokens[i++];
      if (op === '*' && n !== undefined && FIELD_NAME.test(n) && term.field === null && fields.includes(n)) {
        term.mul *= term.value; // `2*Rss`: the constant becomes the factor
        term.value = 0;
        term.field = n;
        continue;
      }
      if (n === undefined || !/^[0-9]+$/.test(n) || Number(n) === 0) return { error: `${op} needs a positive integer after it` };
      if (op === '*') term.mul *= Number(n);
      else term.div *= Number(n);
    }
    terms.push(term);
    const next = tokens[i++];
    if (next === undefined) break;
    if (next !== '+' && next !== '-') return { error: `unexpected ${JSON.stringify(next)}; expected + or -` };
    sign = next === '+' ? 1 : -1;
  }
  return { operand: { text: text.trim(), terms } };
}

/** A number check over `fields`: `16`, `"Rss/2"` (both: equal to), or `{ eq|ne|min|max|lt|gt: operand, … }`. */
function check(fields: readonly string[], description: string) {
  const what = fields.length ? 'an integer or an expression over fields such as "Rss/2"' : 'an integer';
  const e = says((v) => `expected ${what}, got ${describe(v)}`);
  const operand = z.union(
    [
      z.int(e).transform((n): Operand => ({ text: String(n), terms: [{ sign: n < 0 ? -1 : 1, field: null, value: Math.abs(n), mul: 1, div: 1 }] })),
      z.string(e).transform((s, ctx) => {
        const r = parseOperand(s, fields);
        if ('operand' in r) return r.operand;
        ctx.issues.push({ code: 'custom', message: `invalid expression ${JSON.stringify(s)}: ${r.error}`, input: s });
        return z.NEVER;
      }),
    ],
    e,
  );
  const bounds = obj(Object.fromEntries(CHECK_OPS.map((op) => [op, operand.optional()])) as Record<CheckOp, z.ZodOptional<typeof operand>>).refine((b) => Object.keys(b).length > 0, {
    ...says(() => `empty check; give one or more of: ${list(CHECK_OPS)}`),
    when: (payload) => payload.issues.length === 0,
  });
  return z
    .union([operand, bounds], e)
    .transform((c): NumberCheck => ('terms' in c ? { eq: c } : c))
    .describe(`${description}: equal to this, or bounds ${list(CHECK_OPS)}`);
}

/** The same check for each of `fields` (one schema shared: building one per field took ~30 ms of every start). */
const fieldChecks = <F extends readonly string[]>(fields: F, description: string) => {
  const one = check(fields, description).optional();
  return Object.fromEntries(fields.map((f) => [f, one])) as Record<F[number], typeof one>;
};

/** The field checks an item gives, in the order the case writes them. */
const checksOf = (v: object, raw: unknown, fields: readonly string[]): [string, NumberCheck][] =>
  Object.keys(isMapping(raw) ? raw : {})
    .filter((k) => fields.includes(k))
    .map((k) => [k, (v as Record<string, NumberCheck>)[k] as NumberCheck]);

const fieldNames = listOf(pattern(FIELD_NAME, ' (field name)', (s) => `invalid field name ${JSON.stringify(s)}; write it as the kernel prints it, without the colon`), 'field names')
  .min(1, says(() => 'an empty list; give the field names in order'))
  .describe('the exact field names, in order');

/** A byte-exact line with only the `{…}` placeholders of `allowed`. */
const withPlaceholders = (s: z.ZodString, allowed: readonly string[]) =>
  s.refine(
    (t) => [...t.matchAll(/\{([^}]*)\}/g)].every((m) => allowed.includes(m[1] ?? '')),
    says((v) => `unknown placeholder {${[...String(v).matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '').find((h) => !allowed.includes(h))}}; allowed: ${allowed.map((p) => `{${p}}`).join(', ')}`),
  );

// --- selectors and expected VMAs ----------------------------------------------------------------

const { region, at, page, pages } = RANGE_KEYS;

/** The VMA holding a page; `pages` (optional) is its exact span. */
function selector(r: Resolver, s: RangeKeys, path: KeyPath, scope: Scope): VmaSelector | undefined {
  const p = r.pick(s, path, scope);
  return p && { at: p.at, pages: p.pages ?? null };
}

/** A page range of an expectation: `pages` defaults to the rest of the region, or 1 with `at`. */
function pageRange(r: Resolver, s: RangeKeys, path: KeyPath, scope: Scope): PageRange | undefined {
  const p = r.pick(s, path, scope);
  return p && { at: p.at, pages: p.pages ?? (p.byRegion ? p.rest : 1) };
}

/** `true`, the one value of a key that marks an entry as what it names. */
const marker = (what: string) => z.literal(true, says((v) => `expected true (${what}); leave the key out otherwise, got ${describe(v)}`));

/** What holds the range of a layout or contains entry that is not a VMA: nothing at all, or the window reserve. */
export const SPAN_KINDS = ['hole', 'reserve'] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

const vmaEntry = (keys: z.core.$ZodLooseShape) =>
  obj({
    ...keys,
    perms: perms.describe('the perms column, e.g. rw-p').optional(),
    name: str(' (the maps name column: "" for unnamed, "[anon:x]" …)').describe('the maps name column: "" for unnamed, [anon:x], [anon_shmem:x] …').optional(),
    hole: marker('no VMA, the window reserve included, overlaps the range').describe('no VMA at all overlaps the range, the window reserve included: a real hole; not a VMA of the list').optional(),
    reserve: marker('the window reserve holds the range').describe('the window reserve holds every page of the range (its perms, name and place); not a VMA of the list').optional(),
  });

/** One expected VMA of a layout; an omitted field is not compared. `index`: its place in the list as written. */
export type ExpectedVma = PageRange & { perms?: string; name?: string; index: number; pos: SourcePos };

/** A range of a layout or contains list that is not a VMA: a hole (no VMA at all) or held by the window reserve. */
export type ExpectedSpan = PageRange & { held: SpanKind; index: number; pos: SourcePos };

/** The entries of a `layout` or `contains` list: the VMAs, and the ranges that are holes or the reserve's. */
export interface VmaList {
  vmas: ExpectedVma[];
  spans: ExpectedSpan[];
}

/** The entries of a list of VMAs in address order (`layout`, `contains`), holes and reserve ranges among them. */
function vmaList(r: Resolver, raw: unknown, { path, scope }: At, entry: z.ZodType<{ perms?: string; name?: string; hole?: true; reserve?: true } & RangeKeys>, range: typeof pageRange): VmaList | undefined {
  let prevEnd = -Infinity;
  const out: VmaList = { vmas: [], spans: [] };
  const entries = r.each(entry, raw, path, (e, p) => {
    const index = typeof p?.key === 'number' ? p.key : 0;
    const rg = range(r, e, p, scope);
    const held = SPAN_KINDS.filter((k) => e[k]);
    const [first, second] = held;
    if (second) return void r.error(sub(p, second), `give ${first} or ${second}, not both: a hole has no VMA, the reserve is one`, 'key');
    const vmaKey = (['perms', 'name'] as const).find((k) => e[k] !== undefined);
    if (first && vmaKey) return void r.error(sub(p, vmaKey), `${first}: true says ${first === 'hole' ? 'no VMA is there' : "the window reserve is there, judged by its own perms and name"}: drop ${vmaKey}`, 'key');
    if (!rg) return undefined;
    const ok = rg.at >= prevEnd;
    if (!ok) r.error(p, `page ${rg.at} overlaps or precedes the previous entry (which ends at page ${prevEnd}); list VMAs in address order`);
    prevEnd = rg.at + rg.pages;
    if (!ok) return undefined;
    if (first) out.spans.push({ ...rg, held: first, index, pos: r.pos(p) });
    else out.vmas.push({ ...rg, ...defined({ perms: e.perms, name: e.name }), index, pos: r.pos(p) });
    return true;
  });
  return entries && out;
}

// --- the table ------------------------------------------------------------------------------------

/** An expectation key: its shape, where the model keeps it, and its resolve (from the value as written). */
interface ExpectDef<F extends string, O extends boolean, M> {
  shape: z.ZodType;
  field: F;
  observe: O;
  resolve(raw: unknown, r: Resolver, at: At): M | undefined;
}
const def = <F extends string, O extends boolean, M>(field: F, observe: O, shape: z.ZodType, resolve: (raw: unknown, r: Resolver, at: At) => M | undefined): ExpectDef<F, O, M> => ({ shape, field, observe, resolve });

/** A layout may list a guard page (-1, the window size) that a `name` step renamed (the snapshot check's `reached`). */
const GUARD_REACH = 1;
const LAYOUT_ENTRY = vmaEntry({
  at: z.int(says((v) => `expected an integer (a window page, or -1 / the window size for a guard page a name step renamed), got ${describe(v)}`)).describe('a page of the window, or a guard page (-1, the window size) a name step renamed').optional(),
  region,
  page,
  pages,
});
const CONTAINS_ENTRY = vmaEntry(RANGE_KEYS);
const VMAS = int(0).describe('VMAs overlapping the window, the reserve excluded');
const SPECIAL_LISTS = ['vmas', 'names', 'perms', 'pages'] as const;
/** The areas of `expect.special` (the plan's `special` op takes them as they are). */
export const SPECIAL_AREAS = ['heap', 'stack', 'vdso', 'vvar', 'child'] as const;
const SPECIAL = needs(
  obj({
    target: oneOf(SPECIAL_AREAS).describe("heap, stack, vdso, vvar: every VMA overlapping the area's original extent; child: the window of the enclosing fork's child"),
    vmas: int(0).describe('number of VMAs').optional(),
    names: listOf(str(), 'maps names such as "[heap]"').describe('the maps name column of each VMA').optional(),
    perms: listOf(perms, 'perms such as rw-p').describe('the perms column of each VMA').optional(),
    pages: listOf(int(1, undefined, ' (pages of one VMA)'), 'page counts').describe('the size of each VMA in pages').optional(),
    grown: int(0, undefined, ' (pages)').describe('heap, stack: pages of their VMAs now minus pages at the first look (the probe\'s Z records)').optional(),
  }),
  (e) => SPECIAL_LISTS.some((k) => e[k] !== undefined) || e.grown !== undefined,
  `a special entry needs at least one of: ${list([...SPECIAL_LISTS, 'grown'])}`,
);

const MAPS_LINE = obj({ ...RANGE_KEYS, line: withPlaceholders(str(' (the maps line, byte-exact: keep the padding and trailing space)'), MAPS_LINE_PLACEHOLDERS).describe("the maps line, byte-exact; {dev} is the VMA's device MM:mm, {inode} its inode, {pad} the spaces before the name column") });

const VMFLAG = oneOf(VMFLAG_CODES, 'unknown VmFlags code');
const SMAPS_ITEM = needs(
  obj({
    ...RANGE_KEYS,
    target: AREA_TARGET.describe("the VMA holding the heap's first page or the top page of [stack] as first seen, instead of region or at").optional(),
    name: str(' (the header name column, as maps shows it)').describe("the header's name column").optional(),
    ...fieldChecks(SMAPS_FIELDS, 'a value in kB (or the number for THPeligible)'),
    VmFlags: z
      .union([listOf(VMFLAG, 'VmFlags codes'), obj({ has: listOf(VMFLAG, 'VmFlags codes').optional(), lacks: listOf(VMFLAG, 'VmFlags codes').optional() })], says((v) => `expected a list of VmFlags codes (exact) or { has: [codes], lacks: [codes] }, got ${describe(v)}`))
      .transform((v): FlagsCheck => (Array.isArray(v) ? { exact: v } : v))
      .describe('the exact VmFlags in printed order, or codes it has and lacks')
      .optional(),
  }),
  (e) => SMAPS_FIELDS.some((f) => e[f] !== undefined) || e.VmFlags !== undefined || e.name !== undefined,
  `nothing to compare; give a field (${SMAPS_FIELDS.slice(0, 6).join(', ')}, …), VmFlags or name`,
);
/** VmFlags: the exact list (in printed order), or codes it must have and must lack. */
export interface FlagsCheck {
  exact?: string[];
  has?: string[];
  lacks?: string[];
}

const ROLLUP = needs(
  obj({
    header: withPlaceholders(str(' (the header line, byte-exact; {first_start}, {stack_end}, {last_end} are filled in)'), ROLLUP_PLACEHOLDERS).describe('the [rollup] header, byte-exact after {first_start}, {stack_end}, {last_end} are filled in').optional(),
    fields: fieldNames.optional(),
    ...fieldChecks(ROLLUP_FIELDS, 'a value in kB'),
  }),
  (e) => Object.keys(e).length > 0,
  `nothing to compare; give header, fields or a field (${ROLLUP_FIELDS.slice(0, 4).join(', ')}, …)`,
);

const FLAG_WORDS = Object.keys(QUERY_FLAGS) as [keyof typeof QUERY_FLAGS, ...(keyof typeof QUERY_FLAGS)[]];
const flagError = says((v) => `invalid query flag ${describe(v)}; allowed: ${list(FLAG_WORDS)}, or an integer such as 0x40 (raw bits)`);
const queryPage = says((v) => `expected an integer (a window page; -1 is the reserve page before page 0), got ${describe(v)}`);
const QUERY_OUT = {
  start: z.int(queryPage).describe('window page of vma_start').optional(),
  end: z.int(queryPage).describe('window page of vma_end (exclusive)').optional(),
  name: str(' (the name text, as maps shows it)').describe('the name text, without its NUL').optional(),
  name_size: check([], 'vma_name_size out').optional(),
  vma_flags: listOf(oneOf(['readable', 'writable', 'executable', 'shared'], 'unknown vma flag'), 'vma flags').describe('vma_flags, the exact set').optional(),
  offset: check([], 'vma_offset in bytes').optional(),
  inode: check([], 'the inode').optional(),
  dev: pattern(/^[0-9a-f]{2,}:[0-9a-f]{2,}$/, ' like "00:01" (MAJ:MIN in hex, as maps shows it)', (s) => `invalid dev ${JSON.stringify(s)}; expected MAJ:MIN in lower-case hex, e.g. "00:01"`).describe('MAJ:MIN in hex, as maps shows it').optional(),
  page_size: check([], 'vma_page_size').optional(),
};
const QUERY = obj({
  region,
  at,
  page,
  byte: int(0, 4095, ' (bytes into the page)').describe("bytes added to the page's address").optional(),
  file: oneOf(QUERY_FILES).describe('the file the ioctl is issued on (default maps)').optional(),
  flags: listOf(z.union([z.enum(FLAG_WORDS, flagError), z.int(flagError).min(1, flagError)], flagError), `${list(FLAG_WORDS)} or integers (raw bits)`).describe('query_flags').optional(),
  name_buf: int(0, NAME_BUF_MAX, ' (bytes of the name buffer: vma_name_size in)').describe('vma_name_size in (default 4096)').optional(),
  name_addr: oneOf(QUERY_NAME_ADDRS).describe('vma_name_addr: the buffer (default), NULL or an unwritable page').optional(),
  size: int(0, 8192, ' (the struct size field; 104 by default)').describe('the struct size field (default 104)').optional(),
  tail: bool().describe('a non-zero byte right after the 104-byte struct').optional(),
  build_id_size: int(0, 2 ** 31, ' (build_id_size in; its address stays 0)').describe('build_id_size in, with a NULL build_id_addr').optional(),
  errno: errnoName().describe('the ioctl fails with this errno').optional(),
  ...QUERY_OUT,
});

const MAP_FILES = needs(
  obj({
    region,
    at,
    page,
    spell: oneOf(MAPFILE_SPELLINGS).describe('how the entry name is spelt (default exact)').optional(),
    present: bool().describe('readlink succeeds (true) or fails with ENOENT (false)').optional(),
    errno: errnoName().describe('readlink fails with this errno').optional(),
    link: str(' (the readlink target)').describe('the readlink target').optional(),
    open: errnoName(['ok']).describe('opening through the link: ok or the errno').optional(),
  }),
  (e) => [e.present, e.errno, e.link, e.open].some((v) => v !== undefined),
  'nothing to compare; give present, errno, link or open',
);

const PAGEMAP = needs(
  obj({ region, at, page, pages, ...AREA_KEYS, ...(Object.fromEntries(PAGEMAP_BIT_NAMES.map((b) => [b, bool().describe(`the ${b} bit of every page of the range`).optional()])) as Record<(typeof PAGEMAP_BIT_NAMES)[number], z.ZodOptional<z.ZodBoolean>>) }),
  (e) => PAGEMAP_BIT_NAMES.some((b) => e[b] !== undefined),
  `nothing to compare; give one or more of: ${list(PAGEMAP_BIT_NAMES)}`,
);

/** What a read of a page's first byte gives: the byte, or a fault (SIGSEGV or SIGBUS). */
export type ByteRead = number | 'fault';
const BYTE_READ_WHAT = 'a byte 0..255 or fault';
const byteReadError = says((v) => `expected ${BYTE_READ_WHAT} (the read faults), got ${describe(v)}`);
const byteRead = z
  .union([int(0, 255, ' (a byte)'), z.literal('fault', byteReadError)], byteReadError)
  .describe('the byte read, or fault: the read faults');
const DATA = obj({
  ...RANGE_KEYS,
  bytes: perPage(byteRead, BYTE_READ_WHAT).describe('the first byte of each page: one value for every page, or a list with one per page; fault: the read faults'),
});

/**
 * Which pages an `expect.data` item reads: a page range of the window, and the region it was
 * written with (for messages). One kind for now; an area outside the window (heap, stack) would
 * be another.
 */
export type DataSource = { kind: 'pages'; range: PageRange; region: { id: string; page: number } | null };
const MEMORY_MERGE = bool().describe('PR_GET_MEMORY_MERGE in the expecting process: 1 (true) or 0 (Linux 6.4+)');

const FORK_POINTS = needs(
  needs(
    obj({
      save: label('fork_points').describe('remember the count under this label, for a later since in this process').optional(),
      since: label('fork_points').describe('compare with the count saved under this label earlier in this process').optional(),
      added: z.int(says((v) => `expected an integer (points added since the saved count; 0: the same, negative: fewer), got ${describe(v)}`)).describe('the points added since the saved count: 0 for the same count, negative for fewer').optional(),
    }),
    (e) => e.save !== undefined || e.since !== undefined,
    'nothing to do; give save, since and added, or both',
  ),
  (e) => (e.since === undefined) === (e.added === undefined),
  'since and added go together: { since: LABEL, added: 0 } says the count is the one saved under LABEL',
).describe(
  'the fault-injection points (slab allocations) a fork of the expecting process reaches, saved under a label or compared with a count saved earlier in the process (K4: names are shared on fork, so naming VMAs adds none)',
);

/** The views a `record` item reads without checking them (the maps snapshot is always taken). */
export const RECORD_VIEWS = ['smaps', 'rollup', 'query', 'map_files', 'pagemap', 'fork_points'] as const;
export type RecordView = (typeof RECORD_VIEWS)[number];
const RECORD = z
  .union(
    [
      str().refine((v) => v === 'all', says((v) => `expected all or a list of ${list(RECORD_VIEWS)}, got ${describe(v)}`)),
      listOf(oneOf(RECORD_VIEWS, 'unknown view'), 'views').min(1, says(() => 'an empty list; give the views to record, or all')),
    ],
    says((v) => `expected all or a list of ${list(RECORD_VIEWS)}, got ${describe(v)}`),
  )
  .describe(`record the views without checking them (all, or some of ${list(RECORD_VIEWS)}): every window page for query and map_files, the whole window for pagemap`);

export const EXPECTATIONS = {
  layout: def('layout', false, listOf(LAYOUT_ENTRY, 'a mapping { at, pages, perms?, name? } or { at, pages, hole | reserve: true }').describe('every VMA overlapping the window, in address order; holes and reserve ranges among them'), (raw, r, at) =>
    vmaList(r, raw, at, LAYOUT_ENTRY, (rr, s, p, scope) => rr.range(s, p, scope, GUARD_REACH)),
  ),
  vmas: def('vmas', false, VMAS, (raw, r, { path }) => r.take(VMAS, raw, path)),
  special: def('special', false, listOf(SPECIAL, 'a mapping { target, vmas?, names?, perms?, pages? }').describe('VMAs of areas outside the window'), (raw, r, { path, scope }) =>
    r.each(SPECIAL, raw, path, (e, p) => {
      const reported = r.diags.length;
      if (e.target === 'child' && scope.branch !== 'parent') r.error(sub(p, 'target'), "target child reads the maps of the enclosing fork's child: use it in a fork's parent: steps (the child is alive there)");
      const counts = SPECIAL_LISTS.flatMap((k) => (e[k] === undefined ? [] : [[k, typeof e[k] === 'number' ? e[k] : e[k].length] as const]));
      if (e.grown !== undefined && !(PAGE_AREAS as readonly string[]).includes(e.target)) r.error(sub(p, 'grown'), `grown is for the areas that grow: ${list(PAGE_AREAS)}`);
      if (e.target === 'heap' && (e.vmas ?? 0) > 0) r.hasHeap(sub(p, 'vmas')); // reports when there is none
      // The lists and the count describe the same VMAs.
      const odd = counts.find(([, n]) => n !== counts[0]?.[1]);
      if (odd && counts[0]) r.error(p, `${odd[0]} describes ${odd[1]} VMA(s) but ${counts[0][0]} ${counts[0][1]}; give one entry per VMA`);
      return r.diags.length === reported ? { ...e, pos: r.pos(p) } : undefined;
    }),
  ),
  contains: def('contains', true, listOf(CONTAINS_ENTRY, 'a mapping { region | at, page?, pages?, perms?, name? } or { region | at, page?, pages?, hole | reserve: true }').describe("VMAs that appear among the window's, in order; others may be around them; holes and reserve ranges among them"), (raw, r, at) =>
    vmaList(r, raw, at, CONTAINS_ENTRY, pageRange),
  ),
  maps_line: def('mapsLines', true, z.union([MAPS_LINE, listOf(MAPS_LINE, 'a mapping { region | at, page?, pages?, line }')]).describe('the maps line of the VMA holding a page; one or a list'), (raw, r, { path, scope }) =>
    r.each(MAPS_LINE, raw, path, (e, p) => {
      const vma = selector(r, e, p, scope);
      // `maps_line` or `maps_line[i]`, for failure paths.
      return vma && { vma, line: e.line, key: typeof p?.key === 'number' ? `maps_line[${p.key}]` : 'maps_line', pos: r.pos(p) };
    }, true),
  ),
  smaps: def('smaps', true, listOf(SMAPS_ITEM, 'a mapping { region | at, page?, pages? | target, <field>: check, VmFlags?, name? }').describe('smaps checks of the VMA holding a page (F7 names)'), (raw, r, { path, scope }) =>
    r.each(SMAPS_ITEM, raw, path, (e, p, written) => {
      const fields = checksOf(e, written, SMAPS_FIELDS);
      if (e.VmFlags && !e.VmFlags.exact && !e.VmFlags.has && !e.VmFlags.lacks) return void r.error(sub(p, 'VmFlags'), 'give has and/or lacks');
      const body = { fields, ...defined({ vmFlags: e.VmFlags, name: e.name }), pos: r.pos(p) };
      if (e.target !== undefined) {
        const other = (['region', 'at', 'page', 'pages'] as const).find((k) => e[k] !== undefined);
        if (other) return void r.error(sub(p, other), `target ${e.target} selects the VMA holding the heap's first page or the top page of [stack]; drop ${other}`, 'key');
        if (e.target === 'heap' && !r.hasHeap(sub(p, 'target'))) return undefined;
        return { area: e.target, ...body };
      }
      const vma = selector(r, e, p, scope);
      return vma && { vma, ...body };
    }),
  ),
  smaps_fields: def('smapsFields', true, fieldNames.describe('the exact smaps field names, in order, of every VMA of the case in the window'), (raw, r, { path }) => {
    const names = r.take(fieldNames, raw, path);
    return names && { names, pos: r.pos(path) };
  }),
  rollup: def('rollup', true, ROLLUP.describe('/proc/self/smaps_rollup (F8)'), (raw, r, { path }) => {
    const e = r.take(ROLLUP, raw, path);
    if (!e) return undefined;
    return { ...defined({ header: e.header, order: e.fields }), fields: checksOf(e, raw, ROLLUP_FIELDS), pos: r.pos(path) };
  }),
  query: def('query', true, listOf(QUERY, 'a mapping { region | at, page?, byte?, file?, flags?, name_buf?, …, errno? | start?, end?, name?, … }').describe('PROCMAP_QUERY (Q1–Q5)'), (raw, r, { path, scope }) =>
    r.each(QUERY, raw, path, (e, p) => {
      const sel = selector(r, e, p, scope);
      const outKeys = (Object.keys(QUERY_OUT) as (keyof typeof QUERY_OUT)[]).filter((k) => e[k] !== undefined);
      if (e.errno !== undefined && outKeys[0]) return void r.error(sub(p, outKeys[0]), 'an item with errno expects the ioctl to fail: it has no result fields to compare', 'key');
      const [lo, hi] = [-1 - r.window, 2 * r.window + 2];
      const what = `an integer from ${lo} to ${hi} (a window page; -1 is the reserve page before page 0)`;
      if (!(['start', 'end'] as const).every((k) => e[k] === undefined || r.inWindow(e[k], sub(p, k), lo, hi, what)) || !sel) return undefined;
      const flags = e.flags ?? [];
      return {
        file: e.file ?? 'maps',
        at: sel.at,
        offset: e.byte ?? 0,
        // query_flags is a u64: no 32-bit `|`.
        flags: Number(flags.reduce((b, f) => b | BigInt(typeof f === 'number' ? f : QUERY_FLAGS[f]), 0n)),
        flagWords: flags.map((f) => (typeof f === 'number' ? `0x${f.toString(16)}` : f)),
        nameBuf: e.name_buf ?? NAME_BUF_MAX,
        nameAddr: e.name_addr ?? 'buf',
        size: e.size ?? QUERY_STRUCT_SIZE,
        tail: e.tail ?? false,
        buildIdSize: e.build_id_size ?? 0,
        errno: e.errno ?? null,
        out: defined({ start: e.start, end: e.end, name: e.name, nameSize: e.name_size, vmaFlags: e.vma_flags, offset: e.offset, inode: e.inode, dev: e.dev, pageSize: e.page_size }),
        pos: r.pos(p),
      };
    }),
  ),
  map_files: def('mapFiles', true, listOf(MAP_FILES, 'a mapping { region | at, page?, spell?, present? | errno?, link?, open? }').describe('map_files lookups (MF2–MF4)'), (raw, r, { path, scope }) =>
    r.each(MAP_FILES, raw, path, (e, p) => {
      const sel = selector(r, e, p, scope);
      if (e.present !== undefined && e.errno !== undefined) return void r.error(sub(p, 'errno'), 'give present or errno, not both (present: false is errno: ENOENT)', 'key');
      const item = defined({ present: e.present, errno: e.errno, link: e.link, open: e.open });
      return sel && { at: sel.at, spelling: e.spell ?? 'exact', ...item, pos: r.pos(p) };
    }),
  ),
  pagemap: def('pagemap', true, listOf(PAGEMAP, 'a mapping { region | at | target, page?, pages? | below?, <bit>? }').describe('pagemap bits of a page range (PG1)'), (raw, r, { path, scope }) =>
    r.each(PAGEMAP, raw, path, (e, p) => {
      const range = pagesOf(r, e, p, () => pageRange(r, e, p, scope));
      const bits = PAGEMAP_BIT_NAMES.flatMap((b) => (e[b] === undefined ? [] : [[b, e[b]] as [typeof b, boolean]]));
      return range && { range, bits, pos: r.pos(p) };
    }),
  ),
  data: def('data', true, listOf(DATA, 'a mapping { region | at, page?, pages?, bytes }').describe('the first byte of each page of a range, read last (after the other checks of the step)'), (raw, r, { path, scope }) =>
    r.each(DATA, raw, path, (e, p) => {
      const range = pageRange(r, e, p, scope);
      if (!range || !r.perPage(e.bytes, range.pages, sub(p, 'bytes'))) return undefined;
      const bytes: ByteRead[] = Array.isArray(e.bytes) ? e.bytes : Array<ByteRead>(range.pages).fill(e.bytes);
      const source: DataSource = { kind: 'pages', range, region: e.region === undefined ? null : { id: e.region, page: e.page ?? 0 } };
      return { source, bytes, pos: r.pos(p) };
    }),
  ),
  memory_merge: def('memoryMerge', true, MEMORY_MERGE, (raw, r, { path }) => {
    const enabled = r.take(MEMORY_MERGE, raw, path);
    return enabled === undefined ? undefined : { enabled, pos: r.pos(path) };
  }),
  fork_points: def('forkPoints', true, FORK_POINTS, (raw, r, { path, scope }) => {
    const v = r.take(FORK_POINTS, raw, path);
    if (!v) return undefined;
    const since = v.since === undefined ? null : { label: v.since, added: v.added ?? 0 };
    if (since && scope.savedPoints(since.label) === undefined) {
      const saved = scope.pointLabels();
      return void r.error(sub(path, 'since'), `no count saved as ${JSON.stringify(since.label)} earlier in this process (${saved.length ? `saved: ${list(saved)}` : 'none saved; save one with fork_points: { save: LABEL }'})`);
    }
    const save = v.save ?? null;
    const before = save === null ? undefined : scope.savedPoints(save);
    if (save !== null && before !== undefined) return void r.error(sub(path, 'save'), `${JSON.stringify(save)} is already saved at ${before}; a label is saved once per process`);
    if (save !== null) scope.savePoints(save, `${pathText(sub(path, 'save'))} (line ${r.pos(sub(path, 'save')).line})`);
    return { save, since, pos: r.pos(path) };
  }),
  record: def('record', true, RECORD, (raw, r, { path }) => {
    const v = r.take(RECORD, raw, path);
    return v && { views: v === 'all' ? [...RECORD_VIEWS] : [...new Set(v)], window: r.window, pos: r.pos(path) };
  }),
};

type Defs = typeof EXPECTATIONS;
type Model<K extends keyof Defs> = NonNullable<ReturnType<Defs[K]['resolve']>>;

/** The observation expectations of an `expect` step: smaps, rollup, raw maps lines, PROCMAP_QUERY, map_files, pagemap, contains, data. */
export type ObserveExpectation = { [K in keyof Defs as Defs[K]['observe'] extends true ? Defs[K]['field'] : never]?: Model<K> };
/** What an `expect` step checks in the snapshot it takes. */
export type Expectation = { [K in keyof Defs as Defs[K]['observe'] extends true ? never : Defs[K]['field']]?: Model<K> } & { observe?: ObserveExpectation };

export type SpecialExpectation = Model<'special'>[number];
export type MapsLineExpect = Model<'maps_line'>[number];
export type SmapsExpect = Model<'smaps'>[number];
/** A smaps item on a window page (judged with the window's blocks). */
export type WindowSmapsExpect = Extract<SmapsExpect, { vma: VmaSelector }>;
/** A smaps item on the heap or the stack (`target`): the block of the VMA holding its anchor page. */
export type AreaSmapsExpect = Extract<SmapsExpect, { area: PageArea }>;
export type RollupExpect = Model<'rollup'>;
export type QueryExpect = Model<'query'>[number];
export type QueryOut = QueryExpect['out'];
export type MapFileExpect = Model<'map_files'>[number];
export type PagemapExpect = Model<'pagemap'>[number];
export type DataExpect = Model<'data'>[number];
export type SpecialArea = SpecialExpectation['target'];
export type RecordExpect = Model<'record'>;
export type ForkPointsExpect = Model<'fork_points'>;

/** The keys an `expect` step takes. */
export const EXPECT_KEYS = Object.keys(EXPECTATIONS) as (keyof Defs)[];
export const EXPECT_SHAPE = obj(Object.fromEntries(EXPECT_KEYS.map((k) => [k, EXPECTATIONS[k].shape.optional()]))).meta({ minProperties: 1 });

/** An `expect` step's value: every key it gives, resolved; undefined when any is wrong. */
export function resolveExpect(raw: unknown, r: Resolver, at: At): { expect: Expectation } | undefined {
  if (!isMapping(raw)) return undefined;
  const keys = Object.keys(raw);
  if (keys.length === 0) return void r.error(at.path, `expect needs at least one of: ${list(EXPECT_KEYS)}`);
  const top: Record<string, unknown> = {};
  const observe: Record<string, unknown> = {};
  let ok = true;
  for (const k of keys) {
    const d: ExpectDef<string, boolean, unknown> | undefined = (EXPECTATIONS as Record<string, ExpectDef<string, boolean, unknown>>)[k];
    const v = d?.resolve(raw[k], r, { ...at, path: sub(at.path, k) });
    if (!d || v === undefined) ok = false;
    else (d.observe ? observe : top)[d.field] = v;
  }
  const expect = top as Expectation;
  if (expect.layout && expect.vmas !== undefined && expect.layout.vmas.length !== expect.vmas) {
    const spans = expect.layout.spans.length ? ` besides ${expect.layout.spans.length} hole or reserve entr${expect.layout.spans.length === 1 ? 'y' : 'ies'}` : '';
    r.error(sub(at.path, 'vmas'), `vmas ${expect.vmas} disagrees with layout (${expect.layout.vmas.length}${spans ? ' VMA' : ''} entries${spans})`);
    ok = false;
  }
  if (Object.keys(observe).length > 0) expect.observe = observe as ObserveExpectation;
  return ok ? { expect } : undefined;
}
