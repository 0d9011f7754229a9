// No import cycles under runner/ (issue 14). Every relative import is an edge: `import … from`,
// `export … from`, `import type` (a type-only cycle is still a cycle of definitions), side-effect
// imports and `import('…')`, types included. A cycle fails the test as a chain `a.ts → b.ts → a.ts`.
// TypeScript 7 (the native compiler) has no JS API such as `ts.preProcessFile`, so the imports are
// read by pattern: declarations start a line (they may span lines), strings and comments elsewhere
// do not count.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));

const FROM = /^[ \t]*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"\n]+)['"]/gm;
const SIDE_EFFECT = /^[ \t]*import\s*['"]([^'"\n]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The modules a file names by relative path, as absolute paths (`./x.js` → `./x.ts` when that exists). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [FROM, SIDE_EFFECT, DYNAMIC].flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!));
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s))
    .map((p) => [p.replace(/\.js$/, '.ts'), p.replace(/\.mjs$/, '.mts'), p, `${p}.ts`, join(p, 'index.ts')].find((c) => existsSync(c) && statSync(c).isFile()) ?? p);
}

/** Every elementary import cycle among the .ts/.mts/.mjs/.js files under dir, each as a chain of paths relative to dir. */
export function importCycles(dir: string): string[] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
    .sort();
  const index = new Map(files.map((f, i) => [f, i]));
  const edges = files.map((f) => [...new Set(importsOf(f).map((p) => index.get(p)).filter((i) => i !== undefined))].sort((a, b) => a - b));
  const cycles: string[] = [];
  // Each cycle once, from its smallest file: paths from `start` through larger files only, back to `start`.
  for (let start = 0; start < files.length; start++) {
    const path = [start];
    const onPath = new Set(path);
    const walk = (node: number): void => {
      for (const next of edges[node]!) {
        if (next === start) cycles.push([...path, start].map((i) => relative(dir, files[i]!)).join(' → '));
        else if (next > start && !onPath.has(next) && cycles.length < 1000) {
          path.push(next), onPath.add(next);
          walk(next);
          path.pop(), onPath.delete(next);
        }
      }
    };
    walk(start);
  }
  return cycles;
}

describe('import cycles', () => {
  it('finds none under runner/', () => {
    expect(importCycles(join(repo, 'runner')).join('\n')).toBe('');
  });

  it('finds a known cycle, type-only and multi-line, and nothing outside it', () => {
    expect(importCycles(join(repo, 'test/fixtures/import-cycle'))).toEqual(['a.ts → b.ts → a.ts']);
  });
});
