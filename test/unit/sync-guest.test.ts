// Sync points on the guest side, run on the host: the real interpreter (c-helpers/vmaprobe.c
// with the headers generated from the op table) compiled with the host's cc, given plans
// compiled from YAML and plans written by hand. It checks the order of the records (the
// segments of child and parent alternate, the child's first), that a sync left unpaired
// ends the run instead of deadlocking it (EOF on the fork block's pipes), and that a child
// that ends before a sync gives the parent's sync ECHILD, which the judge reports by label.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { writeGeneratedHeaders } from '../../runner/guest/helpers.js';
import { compileCase } from '../../runner/plan/compile.js';
import { serializePlan } from '../../runner/plan/plan.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { parseResultStream } from '../../runner/results/stream.js';
import { judgeCase } from '../../runner/verdict/judge.js';

const dir = mkdtempSync(join(tmpdir(), 'vmaspec-sync-guest-'));
const probe = join(dir, 'vmaprobe');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await writeGeneratedHeaders(dir);
  execFileSync('cc', ['-O1', '-g', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-I', join(repoRoot, 'c-helpers'), '-I', dir, '-o', probe, join(repoRoot, 'c-helpers', 'vmaprobe.c')]);
}, 60_000);

/** Runs the probe on a plan; a deadlock would end at the 10 s timeout (status null). */
function run(plan: string): { status: number | null; lines: string[] } {
  const file = join(dir, `plan-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, plan);
  const r = spawnSync(probe, [file], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, lines: r.stdout.trimEnd().split('\n') };
}

function load(steps: string): Case {
  const r = parseCase(`title: t\nsteps:\n${steps}`, 'sync.yaml', 'sync');
  if (!r.case) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.case;
}

/** The `S` records of a run, in stream order, as `<step> <ret> <errno>`. */
const stepRecords = (lines: string[]): string[] => lines.filter((l) => l.startsWith('S ')).map((l) => l.slice(2));

const CASE = load(
  [
    '  - map: { id: a, at: 2, pages: 1 }',
    '  - fork:',
    '      child:',
    '        - touch: { region: a }',
    '        - sync: { label: one }',
    '        - touch: { region: a }',
    '        - sync: { label: two }',
    '        - touch: { region: a }',
    '      parent:',
    '        - touch: { region: a }',
    '        - sync: { label: one }',
    '        - touch: { region: a }',
    '        - sync: { label: two }',
    '        - touch: { region: a }',
    '',
  ].join('\n'),
);

describe('sync points in the guest interpreter', () => {
  it('runs the segments in turn, the child first, and the records follow that order', () => {
    const compiled = compileCase(CASE, 0);
    const r = run(serializePlan(compiled.plan));
    expect(r.status).toBe(0);
    const where = (rec: string): string => {
      const s = compiled.steps[Number(rec.split(' ')[0])];
      return `${s?.origin.proc} ${s?.op.op} ${s?.origin.path}`;
    };
    expect(stepRecords(r.lines).every((rec) => rec.endsWith(' 0'))).toBe(true);
    expect(stepRecords(r.lines).map(where)).toEqual([
      'parent map steps[0]',
      'child touch steps[1].fork.child[0]',
      'child sync steps[1].fork.child[1]',
      'parent fork steps[1]',
      'parent touch steps[1].fork.parent[0]',
      'child touch steps[1].fork.child[2]',
      'child sync steps[1].fork.child[3]',
      'parent sync steps[1].fork.parent[1]',
      'parent touch steps[1].fork.parent[2]',
      'child touch steps[1].fork.child[4]',
      'child parent steps[1].fork.parent',
      'parent sync steps[1].fork.parent[3]',
      'parent touch steps[1].fork.parent[4]',
      'parent wait steps[1]',
    ]);
  });

  const HEAD = 'vmaspec-plan 1\nwindow 4\n';
  /** A `pagemap-area` past the top of [stack] as first seen: a harness failure (`B`), so the child ends there. */
  const DIES = 'pagemap-area stack 0 1048576';

  it('does not deadlock on a sync only the child has: the child gets EOF and reports it', () => {
    const r = run(`${HEAD}0 fork\n1 sync child\n2 parent\n3 wait\n`);
    expect(r.status).toBe(0);
    expect(r.lines.filter((l) => /^[SBX] /.test(l))).toEqual(['S 1 0 0', 'S 0 ' + r.lines.find((l) => l.startsWith('C 0 '))?.slice(4) + ' 0', 'B sync: the parent ended its steps before this sync point (step 1)', 'S 3 0 0', 'X 3 768']);
  });

  it('does not deadlock on a sync only the parent has: the child reports the stray byte, the parent gets ECHILD', () => {
    const r = run(`${HEAD}0 fork\n1 parent\n2 sync parent\n3 wait\n`);
    expect(r.status).toBe(0);
    expect(r.lines.filter((l) => /^[SB] /.test(l)).slice(2)).toEqual(["B sync: the parent has a sync point after this child's last (step 1)", 'S 2 -1 10', 'S 3 0 0']);
  });

  it('gives the parent ECHILD at every sync once the child has ended, before or during a segment', () => {
    const before = run(`${HEAD}0 fork\n1 ${DIES}\n2 sync child\n3 parent\n4 sync parent\n5 sync parent\n6 wait\n`);
    expect(stepRecords(before.lines).slice(1)).toEqual(['4 -1 10', '5 -1 10', '6 0 0']);
    const during = run(`${HEAD}0 fork\n1 sync child\n2 ${DIES}\n3 parent\n4 sync parent\n5 wait\n`);
    expect(stepRecords(during.lines).filter((s) => !s.startsWith('0 '))).toEqual(['1 0 0', '4 -1 10', '5 0 0']);
    expect(during.lines.filter((l) => l.startsWith('B '))).toHaveLength(1);
  });

  it('is judged: the parent sync of a child that ended reports the sync by its label', () => {
    const compiled = compileCase(CASE, 0);
    // The child's second touch is replaced by a harness failure: the child ends in its second segment.
    const plan = serializePlan(compiled.plan).replace(/^4 touch .*$/m, `4 ${DIES}`);
    const r = run(plan);
    const stream = parseResultStream(['vmaspec-results 1', 'T 0 begin 0', ...r.lines, 'T 0 end exit:0 0 1000', 'D', ''].join('\n'));
    const v = judgeCase(compiled, CASE, stream.cases[0]);
    expect(v.verdict).toBe('broken');
    expect(v.failures.map((f) => f.message)).toEqual([
      'harness: pages past the top of [stack] as first seen (step 4)',
      'steps[1].fork.child[2] (child) plan step 4 touch: no result, the probe stopped before it (and 3 later steps)',
      'steps[1].fork.parent[1] (parent) plan step 9 sync: the child ended before sync "one" (its exit status is the wait\'s)',
      'steps[1].fork.parent[3] (parent) plan step 11 sync: the child ended before sync "two" (its exit status is the wait\'s)',
      'steps[1] (parent) plan step 13 wait: the child exited with code 3',
    ]);
  });
});

describe('the guest interpreter on a hole', () => {
  // `record: all` reads map_files of every window page, holes too: a hole is an outcome, not a broken run.
  it('answers a mapfile of a page no VMA holds with S -1 ENOENT and no L record, and goes on', () => {
    const r = run('vmaspec-plan 1\nwindow 4\n0 mapfile 1099511627776 exact\n1 mapfile 0 exact\n');
    expect(r.status).toBe(0);
    expect(r.lines.filter((l) => /^[SLB] /.test(l)).map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['S 0 -1', 'L 1 0', 'S 1 0']);
    expect(r.lines).toContain('S 0 -1 2');
  });
});
