// The kernel's slowdown factor, read from the real .config files of the default and the
// debug kernels (test/fixtures/kconfig/), and what it does to a compiled case's timeout.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../runner/cases/load.js';
import { parseKconfig } from '../../runner/kernel/kconfig.js';
import { kernelSlowdown, SLOW_OPTIONS, slowOptionsOf } from '../../runner/kernel/slowdown.js';
import { compileCase } from '../../runner/plan/compile.js';
import { manifestLine } from '../../runner/plan/plan.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = async (name: string): Promise<Map<string, string>> => parseKconfig(await readFile(path.join(here, '../fixtures/kconfig', name), 'utf8'));
const defaultConfig = await fixture('default-6.12.config');
const debugConfig = await fixture('debug-6.12.config');
const kernel = (config: Map<string, string>): { release: string; config: Map<string, string> } => ({ release: '6.12.117', config });

describe('kernelSlowdown', () => {
  it('is 1 for the default kernel: it has none of the checkers', () => {
    expect(slowOptionsOf(defaultConfig)).toEqual([]);
    expect(kernelSlowdown(defaultConfig)).toBe(1);
  });

  it('is the largest factor of the checkers the debug kernel has', () => {
    expect(slowOptionsOf(debugConfig)).toEqual(['KASAN', 'PROVE_LOCKING']);
    expect(kernelSlowdown(debugConfig)).toBe(Math.max(...SLOW_OPTIONS.filter((s) => s.option === 'KASAN' || s.option === 'PROVE_LOCKING').map((s) => s.factor)));
    expect(kernelSlowdown(debugConfig)).toBeGreaterThan(1);
  });

  it('counts an option only when it is built in (`y`), not when it is off', () => {
    const off = new Map(debugConfig);
    off.set('KASAN', 'n');
    off.delete('PROVE_LOCKING');
    expect(kernelSlowdown(off)).toBe(1);
  });
});

describe('compileCase timeouts', () => {
  const casesDir = path.resolve(here, '../../cases');

  it("keep the case's own timeout on the default kernel and stretch it on the debug one", async () => {
    const [c] = await loadCases(casesDir, [path.join(casesDir, 'fork-cost/k5-named-fork-cost.yaml')]);
    expect(c!.timeoutMs).toBe(60_000);
    expect(compileCase(c!, 3, 4096, kernel(defaultConfig)).plan.timeoutMs).toBe(60_000);
    const debug = compileCase(c!, 3, 4096, kernel(debugConfig)).plan;
    expect(debug.timeoutMs).toBe(60_000 * kernelSlowdown(debugConfig));
    // The guest's supervisor enforces the manifest's timeout.
    expect(manifestLine(debug)).toBe(`3 ${60_000 * kernelSlowdown(debugConfig)} /vmaspec/cases/3.plan`);
  });
});
