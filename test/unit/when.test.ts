// `when` on steps: validation attaches the guard, the compiler keeps or leaves out the
// step for the kernel under test (release and .config), keeping the step's key path.
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { compileCase } from '../../runner/plan/compile.js';
import type { KernelFacts } from '../../runner/plan/when.js';

const text = `title: expectations by kernel version
steps:
  - map: { id: a, at: 0, pages: 3, shared: true }
  - name: { region: a, page: 1, pages: 1, name: s }
    when: { kernel: ">=6.2" }
  - name: { region: a, page: 1, pages: 1, name: s, errno: EBADF }
    when: { kernel: "<6.2" }
  - expect: { vmas: 3 }
    when: { kernel: ">=6.2", kconfig: [ANON_VMA_NAME] }
  - fork:
      child:
        - expect: { vmas: 1 }
          when: { kconfig: [SYSVIPC] }
`;

function load(): Case {
  const r = parseCase(text, 'cases/x/when.yaml', 'x/when');
  if (!r.case) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.case;
}

const kernel = (release: string, options: string[]): KernelFacts => ({ release, config: new Map(options.map((o) => [o, 'y'])) });
const ops = (c: Case, k: KernelFacts | null): string[] => {
  const compiled = compileCase(c, 0, 4096, k);
  return compiled.steps.map(({ op, origin }) => `${op.op} ${origin.path}`);
};

describe('when', () => {
  it('is attached to the step it stands beside', () => {
    const c = load();
    expect(c.steps.map((s) => s.when ?? null)).toEqual([
      null,
      { kernel: '>=6.2', kconfig: [] },
      { kernel: '<6.2', kconfig: [] },
      { kernel: '>=6.2', kconfig: ['ANON_VMA_NAME'] },
      null,
    ]);
    const fork = c.steps[4];
    expect(fork?.kind === 'fork' && fork.child[0]?.when).toEqual({ kernel: null, kconfig: ['SYSVIPC'] });
  });

  it('6.12 with ANON_VMA_NAME: the >=6.2 steps run, the <6.2 one and the SYSVIPC one are left out; paths keep their index', () => {
    expect(ops(load(), kernel('6.12.117', ['ANON_VMA_NAME']))).toEqual([
      'map steps[0]',
      'name steps[1]',
      'snapshot steps[3]',
      'fork steps[4]',
      'parent steps[4].fork.parent',
      'wait steps[4]',
    ]);
  });

  it('6.1 without ANON_VMA_NAME but with SYSVIPC: the other branch', () => {
    expect(ops(load(), kernel('6.1.158', ['SYSVIPC']))).toEqual([
      'map steps[0]',
      'name steps[2]',
      'fork steps[4]',
      'snapshot steps[4].fork.child[0]',
      'parent steps[4].fork.parent',
      'wait steps[4]',
    ]);
  });

  it('with no kernel known, every guarded step is left out', () => {
    expect(ops(load(), null)).toEqual(['map steps[0]', 'fork steps[4]', 'parent steps[4].fork.parent', 'wait steps[4]']);
  });
});
