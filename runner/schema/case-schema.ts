// The JSON Schema (draft 2020-12) of a case file, for editors (yaml-language-server) and other
// tools: zod's rendering of the language's one definition (runner/cases/case.ts). `vmaspec schema`
// writes it to schema/case.schema.json; a unit test keeps the checked-in file in step. It checks
// keys, types, enums and ranges; what needs the rest of the case (regions, the window's bounds,
// one of region/at, a name's bytes) stays with `vmaspec check`.
import { z } from 'zod';
import { CASE_SHAPE } from '../cases/case.js';
import { stepItem } from '../cases/steps.js';

/** A JSON Schema object (draft 2020-12). */
export type JsonSchema = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where the schema is checked in, relative to the repository root. */
export const SCHEMA_FILE = 'schema/case.schema.json';

/** The schema of a whole case file (deterministic: the same definition gives the same text). */
export function buildCaseSchema(): JsonSchema {
  const { $defs, ...root } = jsonSchemaOf(CASE_SHAPE);
  const { $defs: stepDefs, $schema: _, ...step } = jsonSchemaOf(stepItem);
  return anyOfTypes({ ...root, $defs: { ...($defs as object), ...(stepDefs as object), step } }) as JsonSchema;
}

/** The JSON Schema of one shape, as zod renders it for the input side. */
function jsonSchemaOf(shape: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(shape, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // A YAML integer past 2^53 is read as a bigint: in JSON it is an integer.
      if (zodSchema._zod.def.type === 'bigint') jsonSchema.type = 'integer';
      // Every integer is a safe one; saying so on each is noise.
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  });
}

/** `type: [integer, string]` (zod's spelling of a union of bare types) as `anyOf`, the form strict validators (ajv) take. */
function anyOfTypes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(anyOfTypes);
  if (typeof v !== 'object' || v === null) return v;
  const out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, anyOfTypes(x)]));
  if (Array.isArray(out['type'])) {
    out['anyOf'] = (out['type'] as string[]).map((type) => ({ type }));
    delete out['type'];
  }
  return out;
}

/** The schema file text, as checked in at schema/case.schema.json. */
export function caseSchemaText(): string {
  return `${JSON.stringify(buildCaseSchema(), null, 2)}\n`;
}
