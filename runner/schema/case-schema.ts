// The JSON Schema (draft 2020-12) of a case file, generated from the validator's own key
// tables and constants, for editors (yaml-language-server) and other tools. `vmaspec schema`
// writes it to schema/case.schema.json; a unit test keeps the checked-in file in step.
//
// How it follows the validator: every exported `*_KEYS` table of the modules in MODULES is an
// object's closed key set; step kind `k` uses the table `K_KEYS` (`process_madvise` →
// `PROCESS_MADVISE_KEYS`). What a key's value looks like is not in the tables: SHAPES gives
// it by `TABLE.key`, or by `key` alone for keys that mean the same everywhere. A key with no
// shape is accepted as anything and listed by `undescribedKeys()` (a unit test keeps that
// list empty). The schema checks keys, types, enums and ranges; cross-field rules (regions,
// the window's bounds, one of `region`/`at`) stay with `vmaspec check`.
import * as core from '../cases/validate.js';
import * as values from '../cases/read-values.js';
import * as stepsV from '../cases/steps/validate.js';
import * as stepsT from '../cases/steps/types.js';
import * as advice from '../cases/steps/advice.js';
import * as observe from '../cases/expect-observe.js';
import * as observeTypes from '../cases/expect-types.js';
import { observeShapes } from '../cases/expect-schema.js';
import * as when from '../cases/when.js';
import { ERRNO, ERRNO_ALIASES } from '../cases/errno.js';
import { RANGE_EXAMPLE, RANGE_PATTERN } from '../kernel/version-range.js';

/** A JSON Schema object (draft 2020-12). */
export type JsonSchema = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The JSON Schema dialect of the generated schema. */
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** Where the schema is checked in, relative to the repository root. */
export const SCHEMA_FILE = 'schema/case.schema.json';

/** The modules whose exported `*_KEYS` tables the schema is built from. */
const MODULES: readonly Record<string, unknown>[] = [core, values, stepsV, stepsT, advice, observe, observeTypes, when];

/** Every exported key table, by export name. */
export function keyTables(): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const m of MODULES) {
    for (const [name, value] of Object.entries(m)) {
      if (name.endsWith('_KEYS') && Array.isArray(value) && value.every((v) => typeof v === 'string')) out.set(name, value as string[]);
    }
  }
  return out;
}

// --- value shapes ----------------------------------------------------------------------

const re = (r: RegExp): string => r.source;

const int = (minimum: number, maximum?: number, description?: string): JsonSchema => ({
  type: 'integer',
  minimum,
  ...(maximum === undefined ? {} : { maximum }),
  ...(description ? { description } : {}),
});
const str = (description?: string, pattern?: RegExp): JsonSchema => ({ type: 'string', ...(pattern ? { pattern: re(pattern) } : {}), ...(description ? { description } : {}) });
const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
const oneOf = (values: readonly string[], description?: string): JsonSchema => ({ enum: [...values], ...(description ? { description } : {}) });
const list = (items: JsonSchema, description?: string, minItems?: number): JsonSchema => ({
  type: 'array',
  items,
  ...(minItems === undefined ? {} : { minItems }),
  ...(description ? { description } : {}),
});
const anyOf = (...options: JsonSchema[]): JsonSchema => ({ anyOf: options });
const ref = (def: string): JsonSchema => ({ $ref: `#/$defs/${def}` });
/** "Has this key" (for oneOf), in the form ajv's strict mode accepts. */
const requires = (key: string): JsonSchema => ({ properties: { [key]: true }, required: [key] });
/** An integer that may exceed 2^53: a YAML integer or a string of decimal digits or 0x hex. */
const bigInt = (description: string): JsonSchema => anyOf({ type: 'integer' }, { type: 'string', pattern: '^-?([0-9]+|0x[0-9a-fA-F]+)$' }, { description });

const ERRNO_NAMES = [...Object.keys(ERRNO), ...Object.keys(ERRNO_ALIASES)].sort();
const KCONFIG_LIST = list(str('a Kconfig option without CONFIG_: NAME (y or m) or NAME=y|m|n', values.KCONFIG), 'Kconfig options the kernel must have (NAME, NAME=y, NAME=m) or not have (NAME=n)');
const REGION = str('a region id defined by an earlier map step', core.REGION_ID);

/** `{ object table }` of a key table, closed. */
function objectOf(table: string, required: readonly string[] = REQUIRED[table] ?? []): JsonSchema {
  const keys = keyTables().get(table);
  if (!keys) throw new Error(`schema: no exported key table ${table}`);
  return {
    type: 'object',
    properties: Object.fromEntries(keys.map((k) => [k, shapeOf(table, k)])),
    additionalProperties: false,
    ...(required.length ? { required: [...required] } : {}),
  };
}

/** Keys a table requires: the validator's `required(...)` calls, which the tables do not carry. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  MAP_KEYS: ['at', 'pages'],
  MPROTECT_KEYS: ['prot'],
  FORK_KEYS: ['child'],
};

/** Value shapes by `TABLE.key`, or by `key` where it means the same in every table. */
const SHAPES: Readonly<Record<string, JsonSchema | (() => JsonSchema)>> = {
  // top level
  'TOP_KEYS.title': { type: 'string', pattern: '\\S', description: 'what the case checks' },
  'TOP_KEYS.spec': anyOf(str('a key of kernel-behaviour.md', core.SPEC_KEY), list(str('a key of kernel-behaviour.md', core.SPEC_KEY))),
  'TOP_KEYS.requires': () => objectOf('REQUIRES_KEYS'),
  'TOP_KEYS.window': int(core.WINDOW_MIN, core.WINDOW_MAX, `pages of the PROT_NONE window (default ${core.DEFAULT_WINDOW})`),
  'TOP_KEYS.timeout': { type: 'number', minimum: core.TIMEOUT_MIN_S, maximum: core.TIMEOUT_MAX_S, description: `seconds (default ${core.DEFAULT_TIMEOUT_S})` },
  'TOP_KEYS.steps': list(ref('step'), 'the steps, in order', 1),
  'TOP_KEYS.probe': anyOf(str('a C source file relative to the case file, run instead of steps (KTAP output, c-helpers/ktap.h)', /^[^/\\].*\.c$/), {
    type: 'object',
    properties: { kernel_source: str('a C file of the kernel tree under test, e.g. tools/testing/selftests/prctl/set-anon-vma-name-test.c (an upstream selftest)', /^[^/\\].*\.c$/) },
    required: ['kernel_source'],
    additionalProperties: false,
  }),
  kconfig: KCONFIG_LIST,
  kernel: str(`a kernel version range such as "${RANGE_EXAMPLE}"`, RANGE_PATTERN),
  // ranges and common step keys
  id: str('names the page range for later steps', core.REGION_ID),
  region: REGION,
  at: int(0, undefined, 'a page of the window'),
  page: int(0, undefined, 'a page of the region (default 0)'),
  pages: int(1, undefined, 'a number of pages'),
  prot: oneOf(Object.keys(core.PROT), 'protection (default rw)'),
  shared: bool('MAP_SHARED (default false: MAP_PRIVATE)'),
  noreserve: bool('MAP_NORESERVE'),
  growsdown: bool('MAP_GROWSDOWN'),
  populate: bool('MAP_POPULATE'),
  fixed_noreplace: bool('MAP_FIXED_NOREPLACE instead of MAP_FIXED: EEXIST unless the range is free (the window reserve is not)'),
  droppable: bool('MAP_DROPPABLE (Linux 6.11+) in place of MAP_PRIVATE; anonymous only; EINVAL before 6.11'),
  errno: oneOf(ERRNO_NAMES, 'the call must fail with this errno'),
  access: oneOf(Object.keys(core.ACCESS), 'how each page is touched (default write)'),
  'NAME_KEYS.name': () => ref('name'),
  'NAME_KEYS.offset': int(0, core.CASE_PAGE_SIZE - 1, 'bytes added to the start'),
  'NAME_KEYS.len': bigInt('bytes, instead of pages × 4096'),
  'NAME_VALUE_KEYS.hex': str('the name bytes in hex', /^([0-9a-fA-F]{2})*$/),
  'NAME_VALUE_KEYS.repeat': str('text to repeat'),
  'NAME_VALUE_KEYS.count': int(0, values.REPEAT_MAX, 'how many times'),
  child: list(ref('step'), 'steps of the forked child'),
  parent: list(ref('step'), 'steps of the parent while the child lives'),
  // expectations
  'EXPECT_KEYS.layout': () => list(objectOf('LAYOUT_KEYS'), 'every VMA overlapping the window, in address order'),
  'EXPECT_KEYS.vmas': int(0, undefined, 'VMAs overlapping the window, the reserve excluded'),
  // contains, maps_line, smaps, smaps_fields, rollup, query, map_files, pagemap
  ...observeShapes(),
  'LAYOUT_KEYS.perms': str('perms column, e.g. rw-p', values.PERMS),
  'LAYOUT_KEYS.name': str('the maps name column: "" for unnamed, [anon:x], [anon_shmem:x] …'),
  // the added steps (runner/cases/steps/)
  'MAP_KEYS.backing': oneOf(stepsV.BACKINGS, 'what is mapped (default anon)'),
  'MAP_KEYS.unlink': oneOf(stepsV.UNLINK_WHEN, 'tmpfs only: remove the file name before or after mmap (default never)'),
  'NAME_KEYS.pointer': oneOf(stepsT.NAME_POINTERS, 'a name pointer the kernel cannot read (R2)'),
  'NAME_KEYS.fail_nth': int(1, core.FAIL_NTH_MAX, 'R5: the Nth allocation (fault-injection point) of the prctl fails; needs CONFIG_FAULT_INJECTION, FAILSLAB, FAULT_INJECTION_DEBUG_FS'),
  'NAME_KEYS.target': oneOf(stepsT.NAME_TARGETS, 'name a VMA outside the window'),
  'MREMAP_KEYS.to': int(0, undefined, 'move to this window page (MREMAP_MAYMOVE|MREMAP_FIXED)'),
  advice: anyOf(oneOf(advice.ADVICE_NAMES), int(0, 2 ** 31 - 1, 'a MADV_ number')),
  'MLOCK_KEYS.onfault': bool('mlock2(MLOCK_ONFAULT) instead of mlock: lock pages as they fault in (VmFlags lo lf)'),
  'PROCESS_MADVISE_KEYS.ret': int(0, undefined, 'the expected return value: bytes advised'),
  'BRK_KEYS.grow': int(1, 1 << 20, 'pages'),
  'BRK_KEYS.shrink': int(1, 1 << 20, 'pages'),
  'SYSCTL_KEYS.key': str('a sysctl name such as vm.max_map_count', /^[a-z0-9_]+(\.[a-z0-9_-]+)+$/),
  'SYSCTL_KEYS.value': () => anyOf(bigInt('the value'), { ...objectOf('SYSCTL_VALUE_KEYS'), required: ['current_maps'] }),
  'SYSCTL_VALUE_KEYS.current_maps': int(-1_000_000, 1_000_000, "the process's VMA count at this step, plus this"),
  'EXPECT_KEYS.special': () => list({ ...objectOf('SPECIAL_KEYS'), required: ['target'] }, 'VMAs of areas outside the window'),
  'SPECIAL_KEYS.target': oneOf(stepsT.SPECIAL_AREAS),
  'SPECIAL_KEYS.vmas': int(0),
  'SPECIAL_KEYS.names': list(str('a maps name column')),
  'SPECIAL_KEYS.perms': list(str('perms column', values.PERMS)),
  'SPECIAL_KEYS.pages': list(int(1)),
};

const undescribed = new Set<string>();

function shapeOf(table: string, key: string): JsonSchema {
  const s = SHAPES[`${table}.${key}`] ?? SHAPES[key];
  if (s !== undefined) return typeof s === 'function' ? s() : s;
  undescribed.add(`${table}.${key}`);
  return { description: `${key}: not described by runner/schema/case-schema.ts` };
}

/** The table of a step kind: `process_madvise` → `PROCESS_MADVISE_KEYS`. */
export const stepTable = (kind: string): string => `${kind.toUpperCase()}_KEYS`;

/** Step kinds whose value is not one key table. */
const STEP_SHAPES: Readonly<Record<string, () => JsonSchema>> = {
  fork: () => objectOf('FORK_KEYS'),
  expect: () => ({ ...objectOf('EXPECT_KEYS'), minProperties: 1 }),
};

function stepSchema(): JsonSchema {
  const kinds = [...core.STEP_KINDS] as string[];
  const properties: Record<string, JsonSchema> = {};
  for (const k of kinds) {
    const special = STEP_SHAPES[k];
    if (special) properties[k] = special();
    else if (keyTables().has(stepTable(k))) properties[k] = objectOf(stepTable(k));
    else {
      undescribed.add(`step ${k}`);
      properties[k] = { description: `${k}: no key table ${stepTable(k)}` };
    }
  }
  properties[when.WHEN_KEY] = { ...objectOf('WHEN_KEYS'), minProperties: 1, description: 'run the step only on a kernel that meets this' };
  return {
    description: `one step: exactly one of ${kinds.join(', ')}; optionally ${when.WHEN_KEY}`,
    type: 'object',
    properties,
    additionalProperties: false,
    oneOf: kinds.map((k) => requires(k)),
  };
}

/** The whole schema (deterministic: the same tables give the same text). */
export function buildCaseSchema(): JsonSchema {
  undescribed.clear();
  const nameValue: JsonSchema = anyOf(
    { type: 'string', description: 'the name (UTF-8)' },
    { type: 'null', description: 'clears the name' },
    { ...objectOf('NAME_VALUE_KEYS'), minProperties: 1 },
  );
  const root = objectOf('TOP_KEYS', ['title']);
  return {
    $schema: SCHEMA_DIALECT,
    title: 'vmaspec case',
    description: 'One YAML case of vmaspec (cases/README.md, docs/cases.md). Generated by `vmaspec schema` from runner/cases/*; do not edit.',
    ...root,
    oneOf: [requires('steps'), requires('probe')],
    dependentSchemas: { probe: { properties: { window: false } } },
    $defs: { step: stepSchema(), name: nameValue },
  };
}

/** Keys (and step kinds) the schema accepts without knowing their value, as `TABLE.key`. */
export function undescribedKeys(): string[] {
  buildCaseSchema();
  return [...undescribed].sort();
}

/** The schema file text, as checked in at schema/case.schema.json. */
export function caseSchemaText(): string {
  return `${JSON.stringify(buildCaseSchema(), null, 2)}\n`;
}
