// Compares an `expect` step's layout list and VMA count with the VMAs a snapshot observed.
import type { ExpectedVma } from '../cases/types.js';
import type { Expected } from '../plan/compiled.js';
import type { ObservedVma, WindowInfo } from '../results/types.js';
import { quoted } from '../util/text.js';
import type { StepWhere } from './failure.js';
import type { Failure, LayoutContext, LayoutField } from './types.js';

/** One row of an aligned layout: an expected VMA, an observed one, or both (same first page); `index`: the place on its side. */
export interface LayoutRow {
  expected: { index: number; vma: ExpectedVma } | null;
  actual: { index: number; vma: ObservedVma } | null;
  /** Fields that differ; `vma` when one side is missing. */
  differs: LayoutField[];
}

/**
 * Pairs expected and observed VMAs by first page (both lists in address order), so a split or
 * a merge shows as differing sizes plus missing/extra VMAs rather than a shifted list.
 */
export function alignLayout(expected: readonly ExpectedVma[], actual: readonly ObservedVma[]): LayoutRow[] {
  const exp = expected.map((vma, index) => ({ index, vma })).sort((a, b) => a.vma.at - b.vma.at || a.index - b.index);
  const rows: LayoutRow[] = [];
  let i = 0;
  let j = 0;
  while (i < exp.length || j < actual.length) {
    const e = exp[i];
    const a = actual[j];
    if (e && a && e.vma.at === a.at) {
      const differs: LayoutField[] = [];
      if (e.vma.pages !== a.pages) differs.push('pages');
      if (e.vma.perms !== undefined && e.vma.perms !== a.perms) differs.push('perms');
      if (e.vma.name !== undefined && e.vma.name !== a.name) differs.push('name');
      rows.push({ expected: e, actual: { index: j, vma: a }, differs });
      i++;
      j++;
    } else if (e && (!a || e.vma.at < a.at)) {
      rows.push({ expected: e, actual: null, differs: ['vma'] });
      i++;
    } else if (a) {
      rows.push({ expected: null, actual: { index: j, vma: a }, differs: ['vma'] });
      j++;
    }
  }
  return rows;
}

const show = quoted;
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The failure of `expect.vmas` (key path and position in `check`) against the window's VMAs, the reserve excluded. */
export function judgeVmas(check: Expected<number>, actual: ObservedVma[], where: StepWhere): Failure[] {
  if (check.expect === actual.length) return [];
  const { proc, step } = where;
  const ctx: LayoutContext = { path: check.path, proc, expected: null, actual };
  return [
    {
      kind: 'vmas',
      message: `${check.path} (${proc}): expected ${plural(check.expect, 'VMA')}, got ${actual.length}`,
      path: check.path,
      pos: check.pos,
      proc,
      step,
      expected: check.expect,
      actual: actual.length,
      field: 'count',
      layout: ctx,
    },
  ];
}

/** The failures of `expect.layout` against the window's VMAs; a failure of one expected VMA carries its position and its place in the list as written. */
export function judgeLayout(check: Expected<ExpectedVma[]>, actual: ObservedVma[], window: WindowInfo, where: StepWhere): Failure[] {
  const failures: Failure[] = [];
  const { proc, step } = where;
  const addressOf = (at: number): string => `0x${(window.base + BigInt(at) * BigInt(window.pageSize)).toString(16)}`;
  const layout = check.expect;
  const ctx: LayoutContext = { path: check.path, proc, expected: layout, actual };
  const head = `${ctx.path} (${proc})`;
  if (layout.length !== actual.length) {
    failures.push({
      kind: 'layout',
      message: `${head}: expected ${plural(layout.length, 'VMA')}, got ${actual.length}`,
      path: ctx.path,
      pos: check.pos,
      proc,
      step,
      expected: layout.length,
      actual: actual.length,
      field: 'count',
      layout: ctx,
    });
  }
  for (const row of alignLayout(layout, actual)) {
    const { expected: e, actual: a } = row;
    if (e && !a) {
      const address = addressOf(e.vma.at);
      failures.push({
        kind: 'layout',
        message: `${head}: VMA ${e.vma.index} at page ${e.vma.at} (${address}) missing: no VMA starts there`,
        path: `${ctx.path}[${e.vma.index}]`,
        pos: e.vma.pos,
        proc,
        step,
        expected: `${e.vma.at} +${e.vma.pages}`,
        actual: null,
        vma: { side: 'expected', index: e.index, at: e.vma.at, address },
        field: 'vma',
        layout: ctx,
      });
    } else if (a && !e) {
      const v = a.vma;
      failures.push({
        kind: 'layout',
        message: `${head}: unexpected VMA at page ${v.at} (${v.address}): ${plural(v.pages, 'page')} ${v.perms}${v.name ? ` ${v.name}` : ''}`,
        path: ctx.path,
        pos: check.pos,
        proc,
        step,
        expected: null,
        actual: `${v.at} +${v.pages}`,
        vma: { side: 'actual', index: a.index, at: v.at, address: v.address },
        field: 'vma',
        layout: ctx,
      });
    } else if (e && a) {
      for (const field of row.differs) {
        if (field !== 'pages' && field !== 'perms' && field !== 'name') continue;
        const want = e.vma[field];
        const got = a.vma[field];
        if (want === undefined) continue;
        failures.push({
          kind: 'layout',
          message: `${head}: VMA ${e.vma.index} at page ${e.vma.at} (${a.vma.address}): ${field}: expected ${show(want)}, got ${show(got)}`,
          path: `${ctx.path}[${e.vma.index}].${field}`,
          pos: e.vma.pos,
          proc,
          step,
          expected: want,
          actual: got,
          vma: { side: 'expected', index: e.index, at: e.vma.at, address: a.vma.address },
          field,
          layout: ctx,
        });
      }
    }
  }
  return failures;
}
