// The key tables of docs/cases.md, from the JSON Schema of the language (./case-schema.ts): for
// the top level, `when`, every step kind and every expectation whose value is a mapping, each key
// with its type or allowed values, whether it is required, and what it means. A table stands
// between `<!-- keys: NAME -->` and `<!-- /keys -->` (NAME: `top`, `when`, a step kind or
// `expect.KEY`); `vmaspec schema` rewrites them and a unit test keeps the page in step.
import { buildCaseSchema, type JsonSchema } from './case-schema.js';

/** The page with the tables, relative to the repository root. */
export const DOCS_PAGE = 'docs/cases.md';

const MARKER = /<!-- keys: ([\w.]+) -->\n[\s\S]*?<!-- \/keys -->/g;
const code = (s: unknown): string => `\`${String(s)}\``;

/** The mapping a value takes: itself, the items of a list of them, or the mapping of a union. */
function mappingOf(s: JsonSchema | undefined): JsonSchema | undefined {
  if (s === undefined) return undefined;
  if (s['type'] === 'object') return s;
  if (s['type'] === 'array') return mappingOf(s['items'] as JsonSchema);
  return ((s['anyOf'] as JsonSchema[] | undefined) ?? []).map(mappingOf).find((m) => m !== undefined);
}

/** Every table the page has, by its name in the marker. */
export function keyTableSchemas(schema: JsonSchema = buildCaseSchema()): Map<string, JsonSchema> {
  const step = (schema['$defs'] as Record<string, JsonSchema>)['step'] as JsonSchema;
  const kinds = step['properties'] as Record<string, JsonSchema>;
  const out = new Map<string, JsonSchema>([['top', schema]]);
  for (const [kind, s] of Object.entries(kinds)) {
    if (kind !== 'expect') out.set(kind, s);
  }
  for (const [key, s] of Object.entries((kinds['expect'] as JsonSchema)['properties'] as Record<string, JsonSchema>)) {
    const m = mappingOf(s);
    if (m) out.set(`expect.${key}`, m);
  }
  return out;
}

/** A value's type or allowed values, in words. */
function typeText(s: JsonSchema): string {
  const ref = s['$ref'];
  if (typeof ref === 'string') return ref.endsWith('/name') ? 'a name: string, null, `{ hex }` or `{ repeat, count }`' : 'steps';
  const values = s['enum'] as string[] | undefined;
  if (values?.includes('EINVAL')) return `an errno name (${['EINVAL', 'ENOMEM', 'EFAULT'].map(code).join(', ')}, …)${values[0] === 'ok' ? ' or `ok`' : ''}`;
  if (values) return values.map(code).join(' ');
  if ('const' in s) return code(s['const']);
  const options = s['anyOf'] as JsonSchema[] | undefined;
  if (options) return [...new Set(options.map(typeText))].join(' or ');
  const { minimum: lo, maximum: hi } = s;
  switch (s['type']) {
    case 'integer':
    case 'number':
      return `${s['type']}${lo === undefined ? '' : hi === undefined ? ` ≥ ${String(lo)}` : ` ${String(lo)}..${String(hi)}`}`;
    case 'boolean':
      return 'true or false';
    case 'array':
      return `list of ${typeText(s['items'] as JsonSchema)}`;
    case 'object':
      return `{ ${Object.keys((s['properties'] as object | undefined) ?? {}).join(', ')} }`;
    default:
      return String(s['type'] ?? 'anything');
  }
}

/** The table of a mapping: one row a key; keys alike (same type, same meaning) share a row. */
export function keyTable(name: string, s: JsonSchema): string {
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  const rows: { keys: string[]; cells: string }[] = [];
  for (const [key, v] of Object.entries((s['properties'] as Record<string, JsonSchema>) ?? {})) {
    const def = v['$ref'] === '#/$defs/name' ? 'the name' : String(v['description'] ?? '');
    // `|` would end the cell, `<id>` would be an HTML tag.
    const cells = `${typeText(v)} | ${required.has(key) ? 'yes' : ''} | ${def.replace(/[|<]/g, '\\$&')}`;
    const last = rows[rows.length - 1];
    if (last?.cells === cells) last.keys.push(key);
    else rows.push({ keys: [key], cells });
  }
  const title = name === 'top' ? 'the top level' : code(name);
  return [`Keys of ${title}:`, '', '| key | type / allowed values | required | description |', '|---|---|---|---|', ...rows.map((r) => `| ${r.keys.map(code).join(', ')} | ${r.cells} |`)].join('\n');
}

/** The page with every table rewritten; an unknown name in a marker is an error. */
export function withKeyTables(page: string, schemas = keyTableSchemas()): string {
  return page.replace(MARKER, (_, name: string) => {
    const s = schemas.get(name);
    if (!s) throw new Error(`${DOCS_PAGE}: <!-- keys: ${name} -->: no such table; names: ${[...schemas.keys()].join(', ')}`);
    return `<!-- keys: ${name} -->\n${keyTable(name, s)}\n<!-- /keys -->`;
  });
}

/** The names of the tables a page has. */
export const keyTableNames = (page: string): string[] => [...page.matchAll(MARKER)].map((m) => m[1] ?? '');
