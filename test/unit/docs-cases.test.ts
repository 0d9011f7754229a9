// docs/cases.md: every ```yaml block is a valid case, the page covers every top-level key,
// step kind and expectation key the validator knows, and diagnostics point into the page.
// (test/integration/suite.test.ts runs the same examples in the VM.)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadDocCases, yamlBlocks } from '../../runner/cases/doc-examples.js';
import { formatDiagnostic, parseCaseText } from '../../runner/cases/load.js';
import { TOP_KEYS } from '../../runner/cases/case.js';
import { EXPECT_KEYS } from '../../runner/cases/expect.js';
import { STEP_KINDS, WHEN_KEY } from '../../runner/cases/steps.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const page = join(repoRoot, 'docs/cases.md');
const text = await readFile(page, 'utf8');
const blocks = yamlBlocks(text);

/** Step kinds, expectation keys and guard use of every example, from the YAML itself. */
function usage(): { top: Set<string>; steps: Set<string>; expect: Set<string>; when: number } {
  const top = new Set<string>();
  const steps = new Set<string>();
  const expectKeys = new Set<string>();
  let when = 0;
  const walkSteps = (items: unknown): void => {
    if (!Array.isArray(items)) return;
    for (const item of items as Record<string, unknown>[]) {
      for (const [k, v] of Object.entries(item)) {
        if (k === WHEN_KEY) {
          when++;
          continue;
        }
        steps.add(k);
        if (k === 'expect' && v && typeof v === 'object') for (const e of Object.keys(v)) expectKeys.add(e);
        if (k === 'fork' && v && typeof v === 'object') {
          const f = v as { child?: unknown; parent?: unknown };
          walkSteps(f.child);
          walkSteps(f.parent);
        }
      }
    }
  };
  for (const b of blocks) {
    const doc = parse(b.text) as Record<string, unknown>;
    for (const k of Object.keys(doc)) top.add(k);
    walkSteps(doc['steps']);
  }
  return { top, steps, expect: expectKeys, when };
}

describe('docs/cases.md', () => {
  it('has yaml examples under headings, each a valid case with the id docs/cases.md#<n>', async () => {
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.every((b) => b.heading !== null)).toBe(true);
    const cases = await loadDocCases(page, 'docs/cases.md');
    expect(cases.map((c) => c.id)).toEqual(blocks.map((_, i) => `docs/cases.md#${i + 1}`));
    expect(cases.map((c) => c.file)).toEqual(blocks.map((b) => `docs/cases.md:${b.line}`));
    expect(cases.every((c) => c.title.length > 0)).toBe(true);
  });

  it('positions of each example are lines of the page', async () => {
    const cases = await loadDocCases(page, 'docs/cases.md');
    const lines = text.split('\n');
    for (const c of cases) {
      const pos = c.probe?.pos ?? c.steps[0]?.pos;
      expect(pos).toBeDefined();
      const line = lines[(pos?.line ?? 0) - 1] ?? '';
      expect(line.slice((pos?.col ?? 1) - 1)).toMatch(c.probe ? /^(\.\.\/cases\/probes\/|tools\/testing\/selftests\/)/ : new RegExp(`^${c.steps[0]?.kind}:`));
    }
  });

  it('shows every top-level key, every step kind, every expectation key and when', () => {
    const u = usage();
    expect(TOP_KEYS.filter((k) => !u.top.has(k))).toEqual([]);
    expect(STEP_KINDS.filter((k) => !u.steps.has(k))).toEqual([]);
    expect(EXPECT_KEYS.filter((k) => !u.expect.has(k))).toEqual([]);
    expect(u.when).toBeGreaterThan(0);
  });
});

describe('yamlBlocks and parseCaseText', () => {
  const md = ['# T', '', '### first', '', '```yaml', 'title: a', 'steps:', '  - map: { at: 0, pages: 1, pgs: 2 }', '```', '', '```text', 'not: a case', '```', '~~~yml', 'x: 1', '~~~', ''].join('\n');

  it('finds ```yaml and ~~~yml blocks with their first line and heading, not other languages', () => {
    expect(yamlBlocks(md)).toEqual([
      { text: 'title: a\nsteps:\n  - map: { at: 0, pages: 1, pgs: 2 }\n', line: 6, heading: 'first' },
      { text: 'x: 1\n', line: 15, heading: 'first' },
    ]);
  });

  it('reports a block problem at its line and column in the page', async () => {
    const [b] = yamlBlocks(md);
    const r = await parseCaseText(b?.text ?? '', 'docs/x.md', 'docs/x.md#1', b?.line);
    expect(r.case).toBeNull();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0];
    expect(d).toMatchObject({ file: 'docs/x.md', line: 8, col: 29, path: 'steps[0].map.pgs', sourceLine: '  - map: { at: 0, pages: 1, pgs: 2 }' });
    expect(d && formatDiagnostic(d, { excerpt: false })).toMatch(/^docs\/x\.md:8:29: steps\[0\]\.map\.pgs: unknown key "pgs"; allowed: /);
  });
});
