// The Kconfig options a case's steps imply (runner/cases/implied.ts, from each step kind's entry).
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';

function kconfigOf(text: string): string[] {
  const r = parseCase(text, 'cases/x/implied.yaml', 'x/implied');
  if (!r.case) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.case.requires.kconfig;
}
const requires = (steps: string): string[] => kconfigOf(`title: t\nsteps:\n${steps}`);

describe('implied Kconfig options', () => {
  it('come from the step kinds the case uses, fork branches included', () => {
    expect(requires('  - map: { at: 2, pages: 1 }\n')).toEqual([]);
    expect(requires('  - fork:\n      child:\n        - name: { at: 2, pages: 1, name: a }\n')).toEqual(['ANON_VMA_NAME']);
    expect(requires('  - name: { at: 2, pages: 1, name: a, fail_nth: 1 }\n')).toEqual(['ANON_VMA_NAME', 'FAULT_INJECTION', 'FAILSLAB', 'FAULT_INJECTION_DEBUG_FS']);
  });
  it('leave out an option the step’s when speaks of, and one requires already names', () => {
    expect(requires('  - name: { at: 2, pages: 1, name: a, errno: EINVAL }\n    when: { kconfig: [ANON_VMA_NAME=n] }\n')).toEqual([]);
    expect(kconfigOf('title: t\nrequires: { kconfig: [ANON_VMA_NAME=y] }\nsteps:\n  - name: { at: 2, pages: 1, name: a }\n')).toEqual(['ANON_VMA_NAME=y']);
  });
});
