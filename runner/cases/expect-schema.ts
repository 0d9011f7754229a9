// JSON Schema shapes of the observation keys of `expect` (contains, maps_line, smaps,
// smaps_fields, rollup, query, map_files, pagemap), built from the same tables as their
// validation (expect-observe.ts), for runner/schema/case-schema.ts (`EXPECT_KEYS.<key>`).
// The schema checks keys, types and enums; regions, windows and expressions stay with `check`.
import { MAPFILE_SPELLINGS } from '../plan/observe-ops.js';
import { PAGEMAP_BIT_NAMES } from '../results/pagemap.js';
import { ERRNO, ERRNO_ALIASES } from './errno.js';
import {
  CONTAINS_KEYS,
  MAP_FILES_KEYS,
  MAPS_LINE_KEYS,
  NAME_ADDRS,
  PAGEMAP_KEYS,
  QUERY_FILES,
  QUERY_FLAGS,
  QUERY_KEYS,
  ROLLUP_FIELDS,
  ROLLUP_KEYS,
  SMAPS_FIELDS,
  SMAPS_ITEM_KEYS,
  VMFLAG_CODES,
  VMFLAGS_CHECK_KEYS,
} from './expect-observe.js';
import { CHECK_OPS } from './expect-types.js';
import { PERMS } from './read-values.js';
import { REGION_ID } from './validate.js';

/** A JSON Schema object (structurally the same as runner/schema/case-schema.ts's). */
export type Shape = { [key: string]: ShapeValue };
type ShapeValue = string | number | boolean | null | ShapeValue[] | { [key: string]: ShapeValue };

const int = (minimum: number, description: string, maximum?: number): Shape => ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }), description });
const str = (description: string, pattern?: RegExp): Shape => ({ type: 'string', ...(pattern ? { pattern: pattern.source } : {}), description });
const bool = (description: string): Shape => ({ type: 'boolean', description });
const list = (items: Shape, description: string, minItems?: number): Shape => ({ type: 'array', items, ...(minItems === undefined ? {} : { minItems }), description });
const oneOf = (values: readonly string[], description: string): Shape => ({ enum: [...values], description });

/** A closed object over a key table; keys without a shape in `shapes` take `fallback(key)`. */
function object(keys: readonly string[], shapes: Record<string, Shape>, description: string, required: string[] = []): Shape {
  const properties: Record<string, Shape> = {};
  for (const k of keys) {
    const s = shapes[k];
    if (!s) throw new Error(`expect-schema: no shape for ${k}`);
    properties[k] = s;
  }
  return { type: 'object', properties, additionalProperties: false, ...(required.length ? { required } : {}), description };
}

const ERRNOS = [...Object.keys(ERRNO), ...Object.keys(ERRNO_ALIASES)].sort();
const SELECT: Record<string, Shape> = {
  region: str('a region id defined by an earlier map step', REGION_ID),
  at: int(0, 'a page of the window'),
  page: int(0, 'a page of the region (default 0)'),
  pages: int(1, 'the VMA spans exactly this many pages from there'),
};
const OPERAND: Shape = { anyOf: [{ type: 'integer' }, { type: 'string', description: 'an expression such as "Rss/2" or "Shared_Dirty + Private_Dirty"' }] };
const INT_OPERAND: Shape = { type: 'integer' };
const check = (operand: Shape, what: string): Shape => ({
  anyOf: [operand, { type: 'object', properties: Object.fromEntries(CHECK_OPS.map((op) => [op, operand])), additionalProperties: false, minProperties: 1 }],
  description: `${what}: equal to this, or bounds eq, ne, min, max, lt, gt`,
});
const FIELD_CHECK = check(OPERAND, 'a value in kB (or the number for THPeligible)');
const FIELD_NAMES = list(str('a field name as the kernel prints it', /^[A-Za-z_][A-Za-z0-9_]*$/), 'the exact field names, in order', 1);

function containsShape(): Shape {
  const entry = object(CONTAINS_KEYS, { ...SELECT, perms: str('perms column, e.g. rw-p', PERMS), name: str('the maps name column') }, 'a VMA that must appear');
  return list(entry, 'VMAs that appear among the window\'s, in order; others may be around them');
}

function mapsLineShape(): Shape {
  const item = object(MAPS_LINE_KEYS, { ...SELECT, line: str('the maps line, byte-exact; {dev} is the VMA\'s device MM:mm, {inode} its inode, {pad} the spaces before the name column') }, 'the maps line of the VMA holding a page', ['line']);
  return { anyOf: [item, list(item, 'several lines')] };
}

function smapsShape(): Shape {
  const flags: Shape = {
    anyOf: [
      list(oneOf(VMFLAG_CODES, 'a VmFlags code'), 'the exact VmFlags, in printed order'),
      object(VMFLAGS_CHECK_KEYS, { has: list(oneOf(VMFLAG_CODES, 'a VmFlags code'), 'codes it must have'), lacks: list(oneOf(VMFLAG_CODES, 'a VmFlags code'), 'codes it must not have') }, 'codes it has and lacks'),
    ],
  };
  const shapes: Record<string, Shape> = { ...SELECT, name: str('the header\'s name column'), VmFlags: flags };
  for (const f of SMAPS_FIELDS) shapes[f] = FIELD_CHECK;
  return list(object(SMAPS_ITEM_KEYS, shapes, 'smaps fields of the VMA holding a page'), 'smaps checks per VMA (F7 names)');
}

function rollupShape(): Shape {
  const shapes: Record<string, Shape> = {
    header: str('the [rollup] header, byte-exact after {first_start}, {stack_end}, {last_end} are filled in'),
    fields: FIELD_NAMES,
  };
  for (const f of ROLLUP_FIELDS) shapes[f] = FIELD_CHECK;
  return object(ROLLUP_KEYS, shapes, '/proc/self/smaps_rollup (F8)');
}

function queryShape(): Shape {
  const shapes: Record<string, Shape> = {
    region: SELECT['region'] as Shape,
    at: SELECT['at'] as Shape,
    page: SELECT['page'] as Shape,
    byte: int(0, 'bytes added to the page\'s address', 4095),
    file: oneOf(QUERY_FILES, 'the file the ioctl is issued on (default maps)'),
    flags: list({ anyOf: [oneOf(Object.keys(QUERY_FLAGS), 'a PROCMAP_QUERY flag'), { type: 'integer', minimum: 1, description: 'raw bits' }] }, 'query_flags'),
    name_buf: int(0, 'vma_name_size in (default 4096)', 4096),
    name_addr: oneOf(NAME_ADDRS, 'vma_name_addr: the buffer (default), NULL or an unwritable page'),
    size: int(0, 'the struct size field (default 104)', 8192),
    tail: bool('a non-zero byte right after the 104-byte struct'),
    build_id_size: int(0, 'build_id_size in, with a NULL address'),
    errno: oneOf(ERRNOS, 'the ioctl fails with this errno'),
    start: { type: 'integer', description: 'window page of vma_start' },
    end: { type: 'integer', description: 'window page of vma_end (exclusive)' },
    name: str('the name text, without its NUL'),
    name_size: check(INT_OPERAND, 'vma_name_size out'),
    vma_flags: list(oneOf(['readable', 'writable', 'executable', 'shared'], 'a vma flag'), 'vma_flags, the exact set'),
    offset: check(INT_OPERAND, 'vma_offset in bytes'),
    inode: check(INT_OPERAND, 'the inode'),
    dev: str('MAJ:MIN in hex, e.g. 00:01', /^[0-9a-f]{2,}:[0-9a-f]{2,}$/),
    page_size: check(INT_OPERAND, 'vma_page_size'),
  };
  return list(object(QUERY_KEYS, shapes, 'one PROCMAP_QUERY ioctl and its expected outcome'), 'PROCMAP_QUERY (Q1–Q5)');
}

function mapFilesShape(): Shape {
  const shapes: Record<string, Shape> = {
    region: SELECT['region'] as Shape,
    at: SELECT['at'] as Shape,
    page: SELECT['page'] as Shape,
    spell: oneOf(MAPFILE_SPELLINGS, 'how the entry name is spelt (default exact)'),
    present: bool('readlink succeeds (true) or fails with ENOENT (false)'),
    errno: oneOf(ERRNOS, 'readlink fails with this errno'),
    link: str('the readlink target'),
    open: oneOf(['ok', ...ERRNOS], 'opening through the link: ok or the errno'),
  };
  return list(object(MAP_FILES_KEYS, shapes, 'a /proc/self/map_files lookup'), 'map_files lookups (MF2–MF4)');
}

function pagemapShape(): Shape {
  const shapes: Record<string, Shape> = { ...SELECT, pages: int(1, 'pages of the range (default: the rest of the region, or 1)') };
  for (const b of PAGEMAP_BIT_NAMES) shapes[b] = bool(`the ${b} bit of every page of the range`);
  return list(object(PAGEMAP_KEYS, shapes, 'pagemap bits of a page range'), 'pagemap (PG1)');
}

/** Shapes by `EXPECT_KEYS.<key>`, for the case schema's SHAPES table. */
export function observeShapes(): Record<string, Shape> {
  return {
    'EXPECT_KEYS.contains': containsShape(),
    'EXPECT_KEYS.maps_line': mapsLineShape(),
    'EXPECT_KEYS.smaps': smapsShape(),
    'EXPECT_KEYS.smaps_fields': { ...FIELD_NAMES, description: 'the exact smaps field names, in order, of every VMA of the case in the window' },
    'EXPECT_KEYS.rollup': rollupShape(),
    'EXPECT_KEYS.query': queryShape(),
    'EXPECT_KEYS.map_files': mapFilesShape(),
    'EXPECT_KEYS.pagemap': pagemapShape(),
  };
}
