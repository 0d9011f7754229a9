// `expect.fork_points` (K4): its labels checked where they are written, its counts judged on the
// real streams of test/fixtures/fork-points/ (the frozen k4.yaml on 6.12.118, and on the
// fork-copies-names mutant: 45 → 53 with eight VMAs named; and on 6.1.192), the model's claim of it, and a diff
// finding written as a case that compares counts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../runner/cases/diagnostics.js';
import { parseCase } from '../../runner/cases/load.js';
import type { Step } from '../../runner/cases/types.js';
import { regressionCase } from '../../runner/explore/finding.js';
import type { RawCase } from '../../runner/explore/generate.js';
import { modelKernel } from '../../runner/model/kernel.js';
import { simulate } from '../../runner/model/simulate.js';
import { compileCase } from '../../runner/plan/compile.js';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';
import { judgeCase } from '../../runner/verdict/judge.js';

const DIR = 'test/fixtures/fork-points';
const source = readFileSync(`${DIR}/k4.yaml`, 'utf8');
const FAILSLAB = new Map(['FAULT_INJECTION', 'FAILSLAB', 'FAULT_INJECTION_DEBUG_FS', 'ANON_VMA_NAME'].map((o) => [o, 'y']));

function judged(stream: string, edit: (s: string) => string = (s) => s) {
  const c = parseCase(source, 'k4.yaml', 'fork/k4').case!;
  const compiled = compileCase(c, 0, 4096, { release: '6.12.118', config: FAILSLAB });
  return judgeCase(compiled, c, casesByIndex(parseResultStream(edit(readFileSync(`${DIR}/${stream}.txt`, 'utf8')))).get(0));
}

const errors = (steps: string): string[] => parseCase(`title: t\nsteps:\n${steps}`, 'x.yaml', 'x').diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }));

describe('expect.fork_points', () => {
  it('passes on 6.12.118 and 6.1.192, where naming, renaming and clearing eight VMAs adds no point to fork (43 each time)', () => {
    expect(judged('6.12.118').verdict).toBe('pass');
    expect(judged('6.1.192').verdict).toBe('pass');
  });

  it('fails on a kernel that copies names on fork, naming the count and what was saved', () => {
    const v = judged('fork-copies-names');
    expect(v.verdict).toBe('fail');
    expect(v.failures.map((f) => [f.path, f.message, f.expected, f.actual])).toEqual([
      ['steps[10].expect.fork_points.added', 'steps[10].expect.fork_points.added (parent): fork reaches 53 fault-injection points: 8 added since "unnamed" (45), expected none', 45, 53],
    ]);
  });

  it('is broken when the count cannot be taken (no fault injection: ENOENT)', () => {
    const v = judged('6.12.118', (s) => s.replace(/^S 8 43 0$/m, 'S 8 -1 2'));
    expect(v.verdict).toBe('broken');
    expect(v.failures[0]?.message).toMatch(/steps\[7\]\.expect\.fork_points \(parent\): counting fork's fault-injection points failed: ENOENT/);
  });

  it('implies fault injection', () => {
    const c = parseCase(source, 'k4.yaml', 'fork/k4').case!;
    expect(c.requires.kconfig).toEqual(expect.arrayContaining(['FAULT_INJECTION', 'FAILSLAB', 'FAULT_INJECTION_DEBUG_FS']));
  });

  it('reports a label not saved before in the process, saved twice, or since without added, at file:line:col', () => {
    const map = '  - map: { id: a, at: 0, pages: 2 }\n';
    expect(errors(`${map}  - expect: { fork_points: { since: x, added: 0 } }\n`)).toEqual([
      expect.stringMatching(/^x\.yaml:4:37: steps\[1\]\.expect\.fork_points\.since: no count saved as "x" earlier in this process \(none saved; save one with fork_points: \{ save: LABEL \}\)/),
    ]);
    expect(errors(`${map}  - expect: { fork_points: { save: x } }\n  - expect: { fork_points: { save: x } }\n`)).toEqual([
      expect.stringMatching(/^x\.yaml:5:36: steps\[2\]\.expect\.fork_points\.save: "x" is already saved at steps\[1\]\.expect\.fork_points\.save \(line 4\)/),
    ]);
    expect(errors(`${map}  - expect: { fork_points: { save: x } }\n  - expect: { fork_points: { since: x } }\n`)).toEqual([expect.stringMatching(/since and added go together/)]);
    expect(errors(`${map}  - expect: { fork_points: {} }\n`)).toEqual([expect.stringMatching(/nothing to do; give save, since and added, or both/)]);
    expect(errors(`${map}  - expect: { fork_points: { save: X } }\n`)).toEqual([expect.stringMatching(/invalid fork_points label "X"/)]);
  });

  it("sees the labels of its own process: a fork's parent list the forking process's, its child list none", () => {
    const compare = '        - expect: { fork_points: { since: top, added: 0 } }\n';
    const other = '        - expect: { vmas: 1 }\n';
    const fork = (child: string, parent: string): string =>
      `  - map: { id: a, at: 0, pages: 2 }\n  - expect: { fork_points: { save: top } }\n  - fork:\n      child:\n${child}      parent:\n${parent}`;
    expect(errors(fork(other, compare))).toEqual([]);
    expect(errors(fork(compare, other))).toEqual([expect.stringMatching(/steps\[2\]\.fork\.child\[0\]\.expect\.fork_points\.since: no count saved as "top" earlier in this process/)]);
  });
});

describe("the model's fork_points claim", () => {
  const kernel = modelKernel('6.12.118')!;
  const steps = (text: string): Step[] => parseCase(`title: t\nsteps:\n${text}`, 'x.yaml', 'x').case!.steps;
  const claims = (text: string, config: Map<string, string> | undefined = FAILSLAB) =>
    [...simulate(steps(text), kernel, { release: '6.12.118', config }, 32).steps].map(([i, c]) => [i, c.expect.expect['fork_points'] ?? null]);

  it('saves after a step and compares after a name step that changes names only', () => {
    const text = '  - map: { id: a, at: 0, pages: 4 }\n  - name: { region: a, name: x }\n  - name: { region: a, name: y }\n';
    expect(claims(text)).toEqual([
      [0, { save: 's0' }],
      [1, { since: 's0', added: 0, save: 's1' }],
      [2, { since: 's1', added: 0 }],
    ]);
  });

  it('claims nothing across a name step that splits or merges, nor without fault injection in the .config', () => {
    expect(claims('  - map: { id: a, at: 0, pages: 4 }\n  - name: { region: a, page: 1, pages: 1, name: x }\n')).toEqual([
      [0, null],
      [1, null],
    ]);
    const merge = '  - map: { id: a, at: 0, pages: 2 }\n  - name: { region: a, name: x }\n  - map: { id: b, at: 2, pages: 2 }\n  - name: { region: b, name: x }\n';
    // The first name renames a whole VMA (claimed); the second merges b into a (not).
    expect(claims(merge)).toEqual([
      [0, { save: 's0' }],
      [1, { since: 's0', added: 0 }],
      [2, null],
      [3, null],
    ]);
    expect(claims('  - map: { id: a, at: 0, pages: 4 }\n  - name: { region: a, name: x }\n', new Map()).every(([, c]) => c === null)).toBe(true);
  });
});

describe('a diff finding on fork_points', () => {
  it('becomes a save at the count before and the base’s points added since it, which the mutant does not match', () => {
    const raw: RawCase = {
      title: 't',
      window: 32,
      steps: [{ map: { id: 'a', at: 0, pages: 2 } }, { expect: { record: 'all' } }, { name: { region: 'a', name: 'x' } }, { expect: { record: 'all' } }],
    };
    const c = parseCase(JSON.stringify(raw), 'x.yaml', 'x').case!;
    const compiled = compileCase(c, 0, 4096, { release: '6.12.118', config: FAILSLAB });
    const counts = compiled.steps.filter((s) => s.op.op === 'fork-points').map((s) => s.op.step);
    expect(counts).toHaveLength(2);
    // The base's record: 40 points, then 40 after the name (the mutant said 41).
    // A run with these counts at the two fork-points ops (every other op succeeding with 0).
    const stream = (first: number, second: number, plan = compiled): string =>
      ['vmaspec-results 1', 'T 0 begin 0', 'W 200000001000 32 4096 1', ...plan.steps.map((s) => `S ${s.op.step} ${s.op.op !== 'fork-points' ? 0 : s.op.step === plan.steps.filter((x) => x.op.op === 'fork-points')[0]!.op.step ? first : second} 0`), 'T 0 end exit:0 0 1000', 'D', ''].join('\n');
    const base = casesByIndex(parseResultStream(stream(40, 40))).get(0)!;
    const out = regressionCase(raw, compiled, base, { step: counts[1]!, line: 'ret=40 errno=0' });
    expect(out.steps).toEqual([raw.steps[0], { expect: { fork_points: { save: 'before' } } }, raw.steps[2], { expect: { fork_points: { since: 'before', added: 0 } } }]);
    const finding = parseCase(JSON.stringify(out), 'x.yaml', 'x');
    expect(finding.diagnostics).toEqual([]);
    const plan = compileCase(finding.case!, 0, 4096, { release: '6.12.118', config: FAILSLAB });
    // (The synthetic stream has no maps lines: only the fork_points checks are looked at.)
    const failed = (first: number, second: number) =>
      judgeCase(plan, finding.case!, casesByIndex(parseResultStream(stream(first, second, plan))).get(0)).failures.filter((f) => f.kind === 'fork_points').map((f) => f.path);
    expect(failed(40, 40)).toEqual([]);
    expect(failed(40, 41)).toEqual(['steps[3].expect.fork_points.added']);
  });
});
