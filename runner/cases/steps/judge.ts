// Judging the outcomes of the added steps: `expect.special` (the VMAs of the heap,
// stack, vdso or vvar as a `special` op reported them) and `ret:` on syscall steps.

import { MapsLineError, parseMapsLine, windowLayout } from '../../results/maps.js';
import type { StepRecord, WindowInfo } from '../../results/types.js';
import type { Failure } from '../../verdict/types.js';
import type { StepOrigin } from '../../plan/plan.js';
import { quoted } from '../../util/text.js';
import type { ExtraPlanOp } from './plan.js';
import type { SpecialArea } from './types.js';

/** One VMA of a special area as the guest reported it. */
export interface SpecialVma {
  name: string;
  perms: string;
  pages: number;
  /** Start address, `0x` hex. */
  address: string;
}

/**
 * The VMAs of a `special` op's maps lines; for the child's window, without the reserve
 * (as `expect.layout` sees it). Throws MapsLineError on a bad line.
 */
export function specialVmas(lines: readonly string[], target: SpecialArea, window: WindowInfo): SpecialVma[] {
  if (target === 'child') return windowLayout(lines, window).map((v) => ({ name: v.name, perms: v.perms, pages: v.pages, address: v.address }));
  const pageSize = window.pageSize;
  return lines.map((line) => {
    const e = parseMapsLine(line);
    return { name: e.name, perms: e.perms, pages: Number((e.end - e.start) / BigInt(pageSize)), address: `0x${e.start.toString(16)}` };
  });
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** `[heap] rw-p 2 pages, …`: the observed VMAs in one line, for messages. */
function shown(vmas: readonly SpecialVma[]): string {
  return vmas.length === 0 ? 'none' : vmas.map((v) => `${v.address} ${v.perms} ${plural(v.pages, 'page')} ${v.name === '' ? '(unnamed)' : v.name}`).join(', ');
}

/** The failures of one `expect.special` entry, compared with what its `special` op reported. */
export function judgeSpecial(op: Extract<ExtraPlanOp, { op: 'special' }>, origin: StepOrigin, rec: StepRecord, window: WindowInfo | null): Failure[] {
  const step = origin.step;
  const entry = step.kind === 'expect' ? step.expect.special?.[op.entry] : undefined;
  const base = `${origin.path}.expect.special[${op.entry}]`;
  const where = { proc: origin.proc, step: op.step };
  if (!entry) return [{ kind: 'harness', message: `${base} (${origin.proc}): plan step ${op.step} special has no expectation: compiler bug`, path: base, ...where }];
  if (rec.errno !== 0) return [{ kind: 'harness', message: `${base} (${origin.proc}): the probe could not read the ${op.target} VMAs (errno ${rec.errno})`, path: base, ...where }];
  if (!window) return [{ kind: 'harness', message: `${base} (${origin.proc}): no W record: the window was never reserved`, path: base, ...where }];
  let vmas: SpecialVma[];
  try {
    vmas = specialVmas(rec.maps, op.target, window);
  } catch (e) {
    if (e instanceof MapsLineError) return [{ kind: 'harness', message: `${base} (${origin.proc}): ${e.message}`, path: base, ...where }];
    throw e;
  }
  const failures: Failure[] = [];
  const seen = ` (${entry.target}: ${shown(vmas)})`;
  if (entry.vmas !== undefined && entry.vmas !== vmas.length) {
    const path = `${base}.vmas`;
    failures.push({ kind: 'special', message: `${path} (${origin.proc}): expected ${plural(entry.vmas, 'VMA')}, got ${vmas.length}${seen}`, path, ...where, expected: entry.vmas, actual: vmas.length, field: 'count' });
  }
  const lists: ['names' | 'perms' | 'pages', readonly (string | number)[] | undefined, (v: SpecialVma) => string | number][] = [
    ['names', entry.names, (v) => v.name],
    ['perms', entry.perms, (v) => v.perms],
    ['pages', entry.pages, (v) => v.pages],
  ];
  for (const [key, want, get] of lists) {
    if (!want) continue;
    const got = vmas.map(get);
    if (want.length !== got.length) {
      // The count is reported once, by vmas when given.
      if (entry.vmas === undefined) {
        const path = `${base}.${key}`;
        failures.push({ kind: 'special', message: `${path} (${origin.proc}): expected ${plural(want.length, 'VMA')}, got ${got.length}${seen}`, path, ...where, expected: want.length, actual: got.length, field: 'count' });
      }
      continue;
    }
    want.forEach((w, i) => {
      const g = got[i];
      if (g === w) return;
      const path = `${base}.${key}[${i}]`;
      const field = key === 'names' ? 'name' : key;
      failures.push({
        kind: 'special',
        message: `${base} (${origin.proc}): VMA ${i} (${vmas[i]?.address}): ${field}: expected ${quoted(w)}, got ${g === undefined ? 'nothing' : quoted(g)}${seen}`,
        path,
        ...where,
        expected: w,
        actual: g ?? null,
        field,
      });
    });
  }
  return failures;
}

/** A step's `ret:` against the return value the guest reported (only checked on success). */
export function checkRet(want: number | undefined, rec: StepRecord, stepPath: string, origin: StepOrigin, step: number): Failure[] {
  if (want === undefined || rec.errno !== 0 || rec.ret === want) return [];
  const path = `${stepPath}.ret`;
  return [{ kind: 'outcome', path, proc: origin.proc, step, message: `${path} (${origin.proc}): expected ${want}, got ${rec.ret}`, expected: want, actual: rec.ret }];
}
