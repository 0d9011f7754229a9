// schema/case.schema.json and the key tables of docs/cases.md: generated from the case language
// (runner/cases/), checked in up to date, the schema accepted by ajv (draft 2020-12, strict), and
// every case of cases/ and docs/cases.md validates against it; a few malformed cases do not.
// Every case file names it on line 1.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { yamlBlocks } from '../../runner/cases/doc-examples.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { caseSchemaText, SCHEMA_FILE } from '../../runner/schema/case-schema.js';
import { DOCS_PAGE, keyTableNames, keyTableSchemas, withKeyTables } from '../../runner/schema/docs-tables.js';
import { EXPECTATIONS } from '../../runner/cases/expect.js';
import { STEP_KINDS } from '../../runner/cases/steps.js';

const schemaPath = join(repoRoot, SCHEMA_FILE);
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validate = ajv.compile(JSON.parse(await readFile(schemaPath, 'utf8')) as object);

async function caseFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await caseFiles(p)));
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out.sort();
}
const files = await caseFiles(join(repoRoot, 'cases'));
const errors = (doc: unknown): string[] => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));

describe('schema/case.schema.json', () => {
  it('is what `vmaspec schema` generates from the case language now (run it after changing keys)', async () => {
    expect(await readFile(schemaPath, 'utf8')).toBe(caseSchemaText());
  });

  it('docs/cases.md has the key tables `vmaspec schema` writes, one for every step kind and mapping-valued expectation, every key described', async () => {
    const page = await readFile(join(repoRoot, DOCS_PAGE), 'utf8');
    expect(page).toBe(withKeyTables(page));
    const tables = keyTableSchemas();
    expect([...tables.keys()].filter((n) => !keyTableNames(page).includes(n))).toEqual([]);
    expect(STEP_KINDS.filter((k) => k !== 'expect' && !tables.has(k))).toEqual([]);
    expect(Object.keys(EXPECTATIONS).filter((k) => !tables.has(`expect.${k}`))).toEqual(['vmas', 'smaps_fields', 'memory_merge', 'record']);
    const undescribed = [...tables].flatMap(([name, s]) =>
      Object.entries((s['properties'] ?? {}) as Record<string, Record<string, unknown>>)
        .filter(([, v]) => v['description'] === undefined && v['$ref'] === undefined)
        .map(([k]) => `${name}.${k}`),
    );
    expect(undescribed).toEqual([]);
  });

  it.each(files.map((f) => [relative(repoRoot, f), f]))('%s validates', async (_, file) => {
    expect(errors(parse(await readFile(file, 'utf8')))).toEqual([]);
  });

  it('every example of docs/cases.md validates', async () => {
    const blocks = yamlBlocks(await readFile(join(repoRoot, 'docs/cases.md'), 'utf8'));
    expect(blocks.map((b) => errors(parse(b.text))).filter((e) => e.length)).toEqual([]);
  });

  it.each(files.map((f) => [relative(repoRoot, f), f]))('%s names the schema on line 1', async (name, file) => {
    const depth = name.split('/').length - 1;
    const first = (await readFile(file, 'utf8')).split('\n')[0];
    expect(first).toBe(`# yaml-language-server: $schema=${'../'.repeat(depth)}${SCHEMA_FILE}`);
  });

  it('rejects unknown keys, bad values, a probe with steps and a step that is only a guard', () => {
    const ok = { title: 't', steps: [{ map: { at: 0, pages: 1 } }] };
    expect(errors(ok)).toEqual([]);
    expect(errors({ ...ok, steps: [{ map: { at: 0, pages: 1, pgs: 2 } }] }).length).toBeGreaterThan(0);
    expect(errors({ ...ok, steps: [{ mprotect: { at: 0, pages: 1, prot: 'rwz' } }] }).length).toBeGreaterThan(0);
    expect(errors({ ...ok, steps: [{ name: { at: 0, pages: 1, name: 'x', errno: 'EINVALID' } }] }).length).toBeGreaterThan(0);
    expect(errors({ ...ok, probe: 'p.c' }).length).toBeGreaterThan(0);
    expect(errors({ title: 't', probe: 'p.c', window: 8 }).length).toBeGreaterThan(0);
    expect(errors({ title: 't', probe: 'p.h' }).length).toBeGreaterThan(0);
    expect(errors({ title: 't', probe: 'p.c' })).toEqual([]);
    expect(errors({ ...ok, steps: [{ when: { kernel: '>=6.13' } }] }).length).toBeGreaterThan(0);
    expect(errors({ ...ok, steps: [{ expect: { vmas: 1 }, when: { kernel: '6.13+' } }] }).length).toBeGreaterThan(0);
    expect(errors({ ...ok, steps: [{ expect: { vmas: 1 }, when: { kernel: '>=6.13', kconfig: ['ANON_VMA_NAME'] } }] })).toEqual([]);
    expect(errors({ ...ok, steps: [{ map: { at: 0, pages: 1 }, unmap: { at: 0, pages: 1 } }] }).length).toBeGreaterThan(0);
  });
});
