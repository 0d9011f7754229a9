// Validation of the observation keys of an `expect` step (cases/README.md, "Observations"):
// contains, maps_line, smaps, smaps_fields, rollup, query, map_files, pagemap.
// Errors follow validate.ts: `file:line:col: key.path: message`, with the allowed keys or values.
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { MAPFILE_SPELLINGS, type MapFileSpelling, type QueryFile, type QueryNameAddr } from '../plan/observe-ops.js';
import { PAGEMAP_BIT_NAMES, type PagemapBit } from '../results/pagemap.js';
import { MAPS_LINE_PLACEHOLDERS, ROLLUP_PLACEHOLDERS } from '../verdict/placeholders.js';
import { canonicalErrno, similarErrnos } from './errno.js';
import {
  CHECK_OPS,
  type FlagsCheck,
  type MapFileExpect,
  type MapsLineExpect,
  type NumberCheck,
  type ObserveExpectation,
  type Operand,
  type PagemapExpect,
  type QueryExpect,
  type QueryOut,
  type RollupExpect,
  type SmapsExpect,
  type Term,
  type VmaSelector,
} from './expect-types.js';
import type { ExpectedVma, PageRange } from './types.js';
import { describe, join, list, type Ctx, type Field, type Fields, type Scope } from './read-context.js';
import { lookupRegion, readEntries, readVmaList, regionOrAt } from './read-values.js';

/** smaps fields per VMA, in the order 6.12 prints them (kernel-behaviour.md F7); ProtectionKey only with PKU. */
export const SMAPS_FIELDS = [
  'Size', 'KernelPageSize', 'MMUPageSize', 'Rss', 'Pss', 'Pss_Dirty', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean',
  'Private_Dirty', 'Referenced', 'Anonymous', 'KSM', 'LazyFree', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped',
  'Shared_Hugetlb', 'Private_Hugetlb', 'Swap', 'SwapPss', 'Locked', 'THPeligible', 'ProtectionKey',
] as const;

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
export const QUERY_FLAGS: Readonly<Record<string, number>> = Object.freeze({
  readable: 0x1,
  writable: 0x2,
  executable: 0x4,
  shared: 0x8,
  covering_or_next: 0x10,
  file_backed: 0x20,
});
const VMA_FLAG_WORDS = ['readable', 'writable', 'executable', 'shared'] as const;

/** Reports the first `{…}` of a byte-exact line that is not one of `allowed`; false then. */
function knownPlaceholders(ctx: Ctx, f: Field, path: string, text: string, allowed: readonly string[]): boolean {
  const unknown = [...text.matchAll(/\{([^}]*)\}/g)].map((x) => x[1] ?? '').find((h) => !allowed.includes(h));
  if (unknown === undefined) return true;
  ctx.error(f.value, path, `unknown placeholder {${unknown}}; allowed: ${allowed.map((p) => `{${p}}`).join(', ')}`);
  return false;
}

// The closed key sets of the observation items (exported for the schema generator).
const SELECT_KEYS = ['region', 'at', 'page', 'pages'] as const;
/** `expect.contains` entries. */
export const CONTAINS_KEYS = [...SELECT_KEYS, 'perms', 'name'] as const;
export const MAPS_LINE_KEYS = [...SELECT_KEYS, 'line'] as const;
/** `expect.smaps` items: a VMA, its header name, its fields by F7 name, VmFlags. */
export const SMAPS_ITEM_KEYS = [...SELECT_KEYS, 'name', ...SMAPS_FIELDS, 'VmFlags'] as const;
export const ROLLUP_KEYS = ['header', 'fields', ...ROLLUP_FIELDS] as const;
/** The result fields of a query item (absent when it gives errno). */
export const QUERY_OUT_KEYS = ['start', 'end', 'name', 'name_size', 'vma_flags', 'offset', 'inode', 'dev', 'page_size'] as const;
export const QUERY_KEYS = ['region', 'at', 'page', 'byte', 'file', 'flags', 'name_buf', 'name_addr', 'size', 'tail', 'build_id_size', 'errno', ...QUERY_OUT_KEYS] as const;
export const MAP_FILES_KEYS = ['region', 'at', 'page', 'spell', 'present', 'errno', 'link', 'open'] as const;
export const PAGEMAP_KEYS = [...SELECT_KEYS, ...PAGEMAP_BIT_NAMES] as const;
/** `VmFlags: { has, lacks }`. */
export const VMFLAGS_CHECK_KEYS = ['has', 'lacks'] as const;
export const QUERY_FILES: readonly QueryFile[] = ['maps', 'smaps', 'smaps_rollup'];
export const NAME_ADDRS: readonly QueryNameAddr[] = ['buf', 'null', 'bad'];
const QUERY_STRUCT_SIZE = 104;
const NAME_BUF_MAX = 4096;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEV = /^[0-9a-f]{2,}:[0-9a-f]{2,}$/;

// --- small readers -------------------------------------------------------------------------

/** The mapping had keys that were reported unknown: a "nothing to compare" on top would be noise. */
const hasUnknownKeys = (m: YAMLMap, F: Fields): boolean => m.items.length > F.size;

/** Items of a list, or of a single mapping written without the list. */
function items(ctx: Ctx, f: Field, path: string, what: string): { node: Node | null; path: string }[] | undefined {
  const v = ctx.deref(f.value);
  if (v !== null && isSeq(v)) return (v.items as (Node | null)[]).map((node, i) => ({ node, path: `${path}[${i}]` }));
  if (v !== null && isMap(v)) return [{ node: v, path }];
  ctx.error(ctx.where(f), path, `expected ${what} or a list of them, got ${describe(v)}`);
  return undefined;
}

function stringList(ctx: Ctx, f: Field, path: string, what: string, allowed?: readonly string[]): string[] | undefined {
  const nodes = ctx.seq(f, path, `a list of ${what}`);
  if (!nodes) return undefined;
  const out: string[] = [];
  let ok = true;
  nodes.forEach((n, i) => {
    const p = `${path}[${i}]`;
    const s = ctx.str({ key: f.key, value: n }, p, ` (${what})`);
    if (s === undefined) ok = false;
    else if (allowed && !allowed.includes(s)) {
      ctx.error(n, p, `unknown ${what} ${JSON.stringify(s)}; allowed: ${list(allowed)}`);
      ok = false;
    } else out.push(s);
  });
  return ok ? out : undefined;
}

function errnoName(ctx: Ctx, f: Field, path: string, extra: readonly string[] = []): string | undefined {
  const name = ctx.str(f, path, ' (an errno name such as ENOENT)');
  if (name === undefined) return undefined;
  if (extra.includes(name)) return name;
  const canon = canonicalErrno(name);
  if (canon !== null) return canon;
  const close = similarErrnos(name);
  const hint = close.length ? `did you mean ${list(close)}?` : 'expected a Linux errno name such as ENOENT, EINVAL, EPERM';
  ctx.error(f.value, path, `unknown errno name ${JSON.stringify(name)}; ${extra.length ? `allowed: ${list(extra)} or an errno name; ` : ''}${hint}`);
  return undefined;
}

/**
 * A VMA selector: `region` (+ `page`) or `at`, and optional `pages` (the VMA must then start
 * there and span exactly that many). With `rangeDefault`, `pages` defaults to the rest of the
 * region (or 1 with `at`) and the result is a page range.
 */
function readSelector(ctx: Ctx, F: Fields, m: YAMLMap, path: string, scope: Scope, rangeDefault = false): VmaSelector | undefined {
  const chosen = regionOrAt(ctx, F, m, path);
  if (!chosen) return undefined;
  const { regionF, atF } = chosen;
  const pageF = F.get('page');
  const pagesF = F.get('pages');
  let at: number;
  let limit: number; // pages available from `at`
  if (regionF) {
    const found = lookupRegion(ctx, regionF, join(path, 'region'), scope);
    if (!found) return undefined;
    const { id, range } = found;
    let page = 0;
    if (pageF) {
      const v = ctx.int(pageF, join(path, 'page'), 0, range.pages - 1, ` (a page of region ${JSON.stringify(id)}, ${range.pages} pages)`);
      if (v === undefined) return undefined;
      page = v;
    }
    at = range.at + page;
    limit = range.pages - page;
  } else {
    if (pageF) {
      ctx.error(pageF.key, join(path, 'page'), 'page is only used with region; with at, give the window page directly');
      return undefined;
    }
    const v = ctx.int(atF as Field, join(path, 'at'), 0, ctx.window - 1, ` (a page of the ${ctx.window}-page window)`);
    if (v === undefined) return undefined;
    at = v;
    limit = ctx.window - at;
  }
  if (!pagesF) return { at, pages: rangeDefault ? (regionF ? limit : 1) : null };
  const pages = ctx.int(pagesF, join(path, 'pages'), 1, limit, regionF ? ` (pages of the region from page ${at})` : ` (pages of the window from page ${at})`);
  return pages === undefined ? undefined : { at, pages };
}

// --- numbers and expressions -----------------------------------------------------------------

/** Parses `Rss/2`, `Shared_Dirty + Private_Dirty`, `Size - 4`, `2*Pss`; null and why when it does not parse. */
export function parseOperand(text: string, fields: readonly string[]): { operand: Operand } | { error: string } {
  const tokens = text.match(/[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[-+*/]|\S/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const terms: Term[] = [];
  let sign: 1 | -1 = 1;
  if (peek() === '-') {
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
    while (peek() === '*' || peek() === '/') {
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

function readOperand(ctx: Ctx, n: Node | null, at: Node, path: string, fields: readonly string[]): Operand | undefined {
  const v = ctx.deref(n);
  if (v !== null && isScalar(v) && typeof v.value === 'number' && Number.isSafeInteger(v.value)) {
    return { text: String(v.value), terms: [{ sign: v.value < 0 ? -1 : 1, field: null, value: Math.abs(v.value), mul: 1, div: 1 }] };
  }
  if (v !== null && isScalar(v) && typeof v.value === 'string') {
    const r = parseOperand(v.value, fields);
    if ('operand' in r) return r.operand;
    ctx.error(v, path, `invalid expression ${JSON.stringify(v.value)}: ${r.error}`);
    return undefined;
  }
  const what = fields.length ? 'an integer or an expression over fields such as "Rss/2"' : 'an integer';
  ctx.error(n ?? at, path, `expected ${what}, got ${describe(v)}`);
  return undefined;
}

/** A number check: `16`, `"Rss/2"` (both: equal to), or `{ eq|ne|min|max|lt|gt: operand, … }`. */
function readCheck(ctx: Ctx, f: Field, path: string, fields: readonly string[]): NumberCheck | undefined {
  const v = ctx.deref(f.value);
  if (v !== null && isMap(v)) {
    const F = ctx.fields(v, path, CHECK_OPS);
    if (F.size === 0) {
      if (v.items.length === 0) ctx.error(v, path, `empty check; give one or more of: ${list(CHECK_OPS)}`);
      return undefined;
    }
    const check: NumberCheck = {};
    let ok = true;
    for (const op of CHECK_OPS) {
      const of = F.get(op);
      if (!of) continue;
      const o = readOperand(ctx, of.value, of.key, join(path, op), fields);
      if (o === undefined) ok = false;
      else check[op] = o;
    }
    return ok ? check : undefined;
  }
  const o = readOperand(ctx, f.value, f.key, path, fields);
  return o === undefined ? undefined : { eq: o };
}

function readFlagsCheck(ctx: Ctx, f: Field, path: string): FlagsCheck | undefined {
  const v = ctx.deref(f.value);
  if (v !== null && isSeq(v)) {
    const exact = stringList(ctx, f, path, 'VmFlags code', VMFLAG_CODES);
    return exact === undefined ? undefined : { exact };
  }
  const m = ctx.map(f.value, f.key, path, 'a list of VmFlags codes (exact) or { has: [codes], lacks: [codes] }');
  if (!m) return undefined;
  const F = ctx.fields(m, path, VMFLAGS_CHECK_KEYS);
  const out: FlagsCheck = {};
  let ok = true;
  for (const key of VMFLAGS_CHECK_KEYS) {
    const kf = F.get(key);
    if (!kf) continue;
    const codes = stringList(ctx, kf, join(path, key), 'VmFlags code', VMFLAG_CODES);
    if (codes === undefined) ok = false;
    else out[key] = codes;
  }
  if (ok && !out.has && !out.lacks) {
    ctx.error(m, path, `give has and/or lacks`);
    return undefined;
  }
  return ok ? out : undefined;
}

/** The field checks of an smaps item or the rollup: every key that names a field. */
function readFieldChecks(ctx: Ctx, F: Fields, path: string, names: readonly string[]): [string, NumberCheck][] | undefined {
  const out: [string, NumberCheck][] = [];
  let ok = true;
  for (const [key, f] of F) {
    if (!names.includes(key)) continue;
    const c = readCheck(ctx, f, join(path, key), names);
    if (c === undefined) ok = false;
    else out.push([key, c]);
  }
  return ok ? out : undefined;
}

// --- the keys --------------------------------------------------------------------------------

function readContains(ctx: Ctx, f: Field, path: string, scope: Scope): ExpectedVma[] | undefined {
  return readVmaList(ctx, f, path, CONTAINS_KEYS, 'region | at, page?, pages?, perms?, name?', (F, m, ip) => {
    const sel = readSelector(ctx, F, m, ip, scope, true);
    return sel ? { at: sel.at, pages: sel.pages ?? 0 } : undefined;
  });
}

function readMapsLines(ctx: Ctx, f: Field, path: string, scope: Scope): MapsLineExpect[] | undefined {
  const all = items(ctx, f, path, 'a mapping { region | at, page?, pages?, line }');
  if (!all) return undefined;
  const out: MapsLineExpect[] = [];
  let ok = true;
  for (const { node, path: ip } of all) {
    const m = ctx.map(node, f.key, ip, 'a mapping { region | at, page?, pages?, line }');
    if (!m) {
      ok = false;
      continue;
    }
    const F = ctx.fields(m, ip, MAPS_LINE_KEYS);
    const vma = readSelector(ctx, F, m, ip, scope);
    const lineF = ctx.required(F, m, ip, 'line');
    const line = lineF ? ctx.str(lineF, join(ip, 'line'), ' (the maps line, byte-exact: keep the padding and trailing space)') : undefined;
    const lineOk = lineF !== undefined && line !== undefined && knownPlaceholders(ctx, lineF, join(ip, 'line'), line, MAPS_LINE_PLACEHOLDERS);
    if (!vma || line === undefined || !lineOk) {
      ok = false;
      continue;
    }
    out.push({ vma, line, key: ip.slice(ip.lastIndexOf('maps_line')), pos: ctx.pos(m) });
  }
  return ok ? out : undefined;
}

function readSmaps(ctx: Ctx, f: Field, path: string, scope: Scope): SmapsExpect[] | undefined {
  return readEntries(ctx, f, path, 'a mapping { region | at, page?, pages?, <field>: check, VmFlags?, name? }', SMAPS_ITEM_KEYS, (F, m, ip) => {
    let ok = true;
    const vma = readSelector(ctx, F, m, ip, scope);
    const fields = readFieldChecks(ctx, F, ip, SMAPS_FIELDS);
    const item: SmapsExpect = { vma: vma ?? { at: 0, pages: null }, fields: fields ?? [], pos: ctx.pos(m) };
    const flagsF = F.get('VmFlags');
    if (flagsF) {
      const c = readFlagsCheck(ctx, flagsF, join(ip, 'VmFlags'));
      if (c === undefined) ok = false;
      else item.vmFlags = c;
    }
    const nameF = F.get('name');
    if (nameF) {
      const s = ctx.str(nameF, join(ip, 'name'), ' (the header name column, as maps shows it)');
      if (s === undefined) ok = false;
      else item.name = s;
    }
    if (!vma || !fields) {
      return undefined;
    }
    if (item.fields.length === 0 && !item.vmFlags && item.name === undefined && !hasUnknownKeys(m, F)) {
      ctx.error(m, ip, `nothing to compare; give a field (${SMAPS_FIELDS.slice(0, 6).join(', ')}, …), VmFlags or name`);
      return undefined;
    }
    return ok ? item : undefined;
  }, 'a list of { region | at, page?, pages?, <field>: check, VmFlags?, name? }');
}

function readFieldOrder(ctx: Ctx, f: Field, path: string): string[] | undefined {
  const names = stringList(ctx, f, path, 'field name');
  if (!names) return undefined;
  const bad = names.findIndex((s) => !FIELD_NAME.test(s));
  if (bad >= 0) {
    ctx.error(f.value, `${path}[${bad}]`, `invalid field name ${JSON.stringify(names[bad])}; write it as the kernel prints it, without the colon`);
    return undefined;
  }
  if (names.length === 0) {
    ctx.error(f.value, path, 'an empty list; give the field names in order');
    return undefined;
  }
  return names;
}

function readRollup(ctx: Ctx, f: Field, path: string): RollupExpect | undefined {
  const m = ctx.map(f.value, f.key, path, `a mapping { header?, fields?, <field>: check }`);
  if (!m) return undefined;
  const F = ctx.fields(m, path, ROLLUP_KEYS);
  const out: RollupExpect = { fields: [], pos: ctx.pos(m) };
  let ok = true;
  const headerF = F.get('header');
  if (headerF) {
    const hp = join(path, 'header');
    const s = ctx.str(headerF, hp, ' (the header line, byte-exact; {first_start}, {stack_end}, {last_end} are filled in)');
    if (s === undefined || !knownPlaceholders(ctx, headerF, hp, s, ROLLUP_PLACEHOLDERS)) ok = false;
    else out.header = s;
  }
  const fieldsF = F.get('fields');
  if (fieldsF) {
    const order = readFieldOrder(ctx, fieldsF, join(path, 'fields'));
    if (order === undefined) ok = false;
    else out.order = order;
  }
  const checks = readFieldChecks(ctx, F, path, ROLLUP_FIELDS);
  if (checks === undefined) ok = false;
  else out.fields = checks;
  if (ok && F.size === 0) {
    if (m.items.length === 0) ctx.error(m, path, `nothing to compare; give header, fields or a field (${ROLLUP_FIELDS.slice(0, 4).join(', ')}, …)`);
    return undefined;
  }
  return ok ? out : undefined;
}

function readQueryFlags(ctx: Ctx, f: Field, path: string): { flags: number; words: string[] } | undefined {
  const nodes = ctx.seq(f, path, `a list of ${list(Object.keys(QUERY_FLAGS))} or integers (raw bits)`);
  if (!nodes) return undefined;
  let flags = 0;
  const words: string[] = [];
  let ok = true;
  nodes.forEach((n, i) => {
    const p = `${path}[${i}]`;
    const v = ctx.deref(n);
    if (v !== null && isScalar(v) && typeof v.value === 'string' && Object.hasOwn(QUERY_FLAGS, v.value)) {
      flags = Number(BigInt(flags) | BigInt(QUERY_FLAGS[v.value] ?? 0));
      words.push(v.value);
    } else if (v !== null && isScalar(v) && typeof v.value === 'number' && Number.isSafeInteger(v.value) && v.value > 0) {
      flags = Number(BigInt(flags) | BigInt(v.value)); // query_flags is a u64: no 32-bit `|`
      words.push(`0x${v.value.toString(16)}`);
    } else {
      ctx.error(n ?? f.key, p, `invalid query flag ${describe(v)}; allowed: ${list(Object.keys(QUERY_FLAGS))}, or an integer such as 0x40 (raw bits)`);
      ok = false;
    }
  });
  return ok ? { flags, words } : undefined;
}

function readQuery(ctx: Ctx, f: Field, path: string, scope: Scope): QueryExpect[] | undefined {
  const what = 'a mapping { region | at, page?, byte?, file?, flags?, name_buf?, …, errno? | start?, end?, name?, … }';
  return readEntries(ctx, f, path, what, QUERY_KEYS, (F, m, ip) => {
    let ok = true;
    let itemOk = true;
    const sel = readSelector(ctx, F, m, ip, scope);
    const num = (key: string, min: number, max: number, dflt: number, hint = ''): number => {
      const kf = F.get(key);
      if (!kf) return dflt;
      const v = ctx.int(kf, join(ip, key), min, max, hint);
      if (v === undefined) itemOk = false;
      return v ?? dflt;
    };
    const byte = num('byte', 0, 4095, 0, ' (bytes into the page)');
    const fileF = F.get('file');
    const file = fileF ? (ctx.oneOf(fileF, join(ip, 'file'), QUERY_FILES) as QueryFile | undefined) : 'maps';
    const flagsF = F.get('flags');
    const flags = flagsF ? readQueryFlags(ctx, flagsF, join(ip, 'flags')) : { flags: 0, words: [] };
    const nameBuf = num('name_buf', 0, NAME_BUF_MAX, NAME_BUF_MAX, ' (bytes of the name buffer: vma_name_size in)');
    const addrF = F.get('name_addr');
    const nameAddr = addrF ? (ctx.oneOf(addrF, join(ip, 'name_addr'), NAME_ADDRS) as QueryNameAddr | undefined) : 'buf';
    const size = num('size', 0, 8192, QUERY_STRUCT_SIZE, ' (the struct size field; 104 by default)');
    const tailF = F.get('tail');
    const tail = tailF ? ctx.bool(tailF, join(ip, 'tail')) : false;
    const buildIdSize = num('build_id_size', 0, 2 ** 31, 0, ' (build_id_size in; its address stays 0)');
    const errnoF = F.get('errno');
    const errno = errnoF ? errnoName(ctx, errnoF, join(ip, 'errno')) : null;
    const q: QueryOut = {};
    const outKeys = QUERY_OUT_KEYS.filter((k) => F.has(k));
    if (errnoF && outKeys.length > 0) {
      ctx.error(F.get(outKeys[0] ?? '')?.key, join(ip, outKeys[0] ?? ''), 'an item with errno expects the ioctl to fail: it has no result fields to compare');
      itemOk = false;
    }
    const pageOf = (key: 'start' | 'end'): void => {
      const kf = F.get(key);
      if (!kf) return;
      const v = ctx.int(kf, join(ip, key), -1 - ctx.window, 2 * ctx.window + 2, ' (a window page; -1 is the reserve page before page 0)');
      if (v === undefined) itemOk = false;
      else q[key] = v;
    };
    pageOf('start');
    pageOf('end');
    const nameF = F.get('name');
    if (nameF) {
      const s = ctx.str(nameF, join(ip, 'name'), ' (the name text, as maps shows it)');
      if (s === undefined) itemOk = false;
      else q.name = s;
    }
    const checkKey = (key: string, into: 'nameSize' | 'offset' | 'inode' | 'pageSize'): void => {
      const kf = F.get(key);
      if (!kf) return;
      const c = readCheck(ctx, kf, join(ip, key), []);
      if (c === undefined) itemOk = false;
      else q[into] = c;
    };
    checkKey('name_size', 'nameSize');
    checkKey('offset', 'offset');
    checkKey('inode', 'inode');
    checkKey('page_size', 'pageSize');
    const vfF = F.get('vma_flags');
    if (vfF) {
      const words = stringList(ctx, vfF, join(ip, 'vma_flags'), 'vma flag', VMA_FLAG_WORDS);
      if (words === undefined) itemOk = false;
      else q.vmaFlags = words;
    }
    const devF = F.get('dev');
    if (devF) {
      const s = ctx.str(devF, join(ip, 'dev'), ' like "00:01" (MAJ:MIN in hex, as maps shows it)');
      if (s !== undefined && DEV.test(s)) q.dev = s;
      else {
        if (s !== undefined) ctx.error(devF.value, join(ip, 'dev'), `invalid dev ${JSON.stringify(s)}; expected MAJ:MIN in lower-case hex, e.g. "00:01"`);
        itemOk = false;
      }
    }
    if (!sel || file === undefined || flags === undefined || nameAddr === undefined || tail === undefined || errno === undefined || !itemOk) {
      return undefined;
    }
    return ok ? { file, at: sel.at, offset: byte, flags: flags.flags, flagWords: flags.words, nameBuf, nameAddr, size, tail, buildIdSize, errno, out: q, pos: ctx.pos(m) } : undefined;
  });
}

function readMapFiles(ctx: Ctx, f: Field, path: string, scope: Scope): MapFileExpect[] | undefined {
  const what = 'a mapping { region | at, page?, spell?, present? | errno?, link?, open? }';
  return readEntries(ctx, f, path, what, MAP_FILES_KEYS, (F, m, ip) => {
    let ok = true;
    const sel = readSelector(ctx, F, m, ip, scope);
    const spellF = F.get('spell');
    const spelling = spellF ? (ctx.oneOf(spellF, join(ip, 'spell'), MAPFILE_SPELLINGS) as MapFileSpelling | undefined) : 'exact';
    const item: MapFileExpect = { at: sel?.at ?? 0, spelling: spelling ?? 'exact', pos: ctx.pos(m) };
    let itemOk = sel !== undefined && spelling !== undefined;
    const presentF = F.get('present');
    const errnoF = F.get('errno');
    if (presentF && errnoF) {
      ctx.error(errnoF.key, join(ip, 'errno'), 'give present or errno, not both (present: false is errno: ENOENT)');
      itemOk = false;
    }
    if (presentF) {
      const v = ctx.bool(presentF, join(ip, 'present'));
      if (v === undefined) itemOk = false;
      else item.present = v;
    }
    if (errnoF) {
      const e = errnoName(ctx, errnoF, join(ip, 'errno'));
      if (e === undefined) itemOk = false;
      else item.errno = e;
    }
    const linkF = F.get('link');
    if (linkF) {
      const s = ctx.str(linkF, join(ip, 'link'), ' (the readlink target)');
      if (s === undefined) itemOk = false;
      else item.link = s;
    }
    const openF = F.get('open');
    if (openF) {
      const e = errnoName(ctx, openF, join(ip, 'open'), ['ok']);
      if (e === undefined) itemOk = false;
      else item.open = e;
    }
    if (itemOk && item.present === undefined && item.errno === undefined && item.link === undefined && item.open === undefined && !hasUnknownKeys(m, F)) {
      ctx.error(m, ip, 'nothing to compare; give present, errno, link or open');
      itemOk = false;
    }
    if (!itemOk) {
      return undefined;
    }
    return ok ? item : undefined;
  });
}

function readPagemap(ctx: Ctx, f: Field, path: string, scope: Scope): PagemapExpect[] | undefined {
  const what = `a mapping { region | at, page?, pages?, ${PAGEMAP_BIT_NAMES.map((b) => `${b}?`).join(', ')} }`;
  return readEntries(ctx, f, path, what, PAGEMAP_KEYS, (F, m, ip) => {
    let ok = true;
    const sel = readSelector(ctx, F, m, ip, scope, true);
    const bits: [PagemapBit, boolean][] = [];
    let itemOk = sel !== undefined;
    for (const bit of PAGEMAP_BIT_NAMES) {
      const bf = F.get(bit);
      if (!bf) continue;
      const v = ctx.bool(bf, join(ip, bit));
      if (v === undefined) itemOk = false;
      else bits.push([bit, v]);
    }
    if (itemOk && bits.length === 0 && !hasUnknownKeys(m, F)) {
      ctx.error(m, ip, `nothing to compare; give one or more of: ${list(PAGEMAP_BIT_NAMES)}`);
      itemOk = false;
    }
    if (!itemOk || !sel) {
      return undefined;
    }
    const range: PageRange = { at: sel.at, pages: sel.pages ?? 1 };
    return ok ? { range, bits, pos: ctx.pos(m) } : undefined;
  });
}

/**
 * The observation keys of one `expect` mapping (its fields already read against the allowed
 * keys). Returns null when none is given, undefined when one was reported invalid.
 */
export function readObserve(ctx: Ctx, F: Fields, path: string, scope: Scope): ObserveExpectation | null | undefined {
  const out: ObserveExpectation = {};
  let ok = true;
  let any = false;
  const take = <T>(key: string, read: (f: Field, p: string) => T | undefined, set: (v: T) => void): void => {
    const f = F.get(key);
    if (!f) return;
    any = true;
    const v = read(f, join(path, key));
    if (v === undefined) ok = false;
    else set(v);
  };
  take('contains', (f, p) => readContains(ctx, f, p, scope), (v) => (out.contains = v));
  take('maps_line', (f, p) => readMapsLines(ctx, f, p, scope), (v) => (out.mapsLines = v));
  take('smaps', (f, p) => readSmaps(ctx, f, p, scope), (v) => (out.smaps = v));
  take(
    'smaps_fields',
    (f, p) => {
      const names = readFieldOrder(ctx, f, p);
      return names && { names, pos: ctx.pos(f.value ?? f.key) };
    },
    (v) => (out.smapsFields = v),
  );
  take('rollup', (f, p) => readRollup(ctx, f, p), (v) => (out.rollup = v));
  take('query', (f, p) => readQuery(ctx, f, p, scope), (v) => (out.query = v));
  take('map_files', (f, p) => readMapFiles(ctx, f, p, scope), (v) => (out.mapFiles = v));
  take('pagemap', (f, p) => readPagemap(ctx, f, p, scope), (v) => (out.pagemap = v));
  if (!ok) return undefined;
  return any ? out : null;
}
