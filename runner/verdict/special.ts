// Judging `expect.special`: the VMAs of the heap, stack, vdso or vvar (or the child's window)
// as a `special` op reported them.
import type { SpecialArea, SpecialExpectation } from '../cases/steps/types.js';
import type { Expected } from '../plan/compiled.js';
import { MapsLineError, parseMapsLine, windowLayout } from '../results/maps.js';
import type { CaseRecord, StepRecord, WindowInfo } from '../results/types.js';
import { quoted } from '../util/text.js';
import { failer, harnessFailure, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

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
export function judgeSpecial(check: Expected<SpecialExpectation>, rec: StepRecord, window: WindowInfo | null, firstLook: CaseRecord['firstLook'], where: StepWhere): Failure[] {
  const { path: base, pos, expect: entry } = check;
  const fail = failer(where, pos);
  const harness = (message: string): Failure[] => [harnessFailure(base, pos, where, message)];
  if (rec.errno !== 0) return harness(`the probe could not read the ${entry.target} VMAs (errno ${rec.errno})`);
  if (!window) return harness('no W record: the window was never reserved');
  let vmas: SpecialVma[];
  try {
    vmas = specialVmas(rec.maps, entry.target, window);
  } catch (e) {
    if (e instanceof MapsLineError) return harness(e.message);
    throw e;
  }
  const failures: Failure[] = [];
  const seen = ` (${entry.target}: ${shown(vmas)})`;
  if (entry.grown !== undefined) {
    const first = firstLook?.get(entry.target);
    if (!first) return harness(`no Z record of the ${entry.target}: its first look is unknown`);
    const before = Number((first.hi - first.lo) / BigInt(window.pageSize));
    const grown = vmas.reduce((n, v) => n + v.pages, 0) - before;
    if (grown !== entry.grown) failures.push(fail('special', `${base}.grown`, `expected ${plural(entry.grown, 'page')} grown, got ${grown} (${before} at the first look)${seen}`, entry.grown, grown));
  }
  if (entry.vmas !== undefined && entry.vmas !== vmas.length) {
    failures.push({ ...fail('special', `${base}.vmas`, `expected ${plural(entry.vmas, 'VMA')}, got ${vmas.length}${seen}`, entry.vmas, vmas.length), field: 'count' });
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
      if (entry.vmas === undefined) failures.push({ ...fail('special', `${base}.${key}`, `expected ${plural(want.length, 'VMA')}, got ${got.length}${seen}`, want.length, got.length), field: 'count' });
      continue;
    }
    want.forEach((w, i) => {
      const g = got[i];
      if (g === w) return;
      const field = key === 'names' ? 'name' : key;
      // The message names the entry, the path the list item.
      const message = `VMA ${i} (${vmas[i]?.address}): ${field}: expected ${quoted(w)}, got ${g === undefined ? 'nothing' : quoted(g)}${seen}`;
      failures.push({ ...fail('special', base, message, w, g ?? null), path: `${base}.${key}[${i}]`, field });
    });
  }
  return failures;
}
