// The window reserve's guard pages at each expect step: a kernel that changed them (dropped or
// moved the reserve's name, changed its perms, unmapped it) fails the step, naming what it found.
import type { Placed } from '../plan/compiled.js';
import { damagedGuards, reserveLook, type WindowVma } from '../results/maps.js';
import type { WindowInfo } from '../results/types.js';
import { quoted, visible } from '../util/text.js';
import { failer, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * One `reserve` failure per guard page (-1, `pages`) of the snapshot (its maps lines, and the VMAs
 * of them that overlap the window) that does not look like the reserve, but those an earlier step
 * named (`reached`); `at`: the expect step.
 */
export function judgeReserve(maps: readonly string[], vmas: readonly WindowVma[], window: WindowInfo, at: Placed, where: StepWhere, reached: readonly number[] = []): Failure[] {
  const fail = failer(where, at.pos);
  const path = at.path;
  const want = reserveLook(window);
  return damagedGuards(vmas, window, reached).map(({ page, address, vma }) => {
    const got = vma ? `${vma.perms} ${vma.name === '' ? 'unnamed' : quoted(vma.name)}` : 'no VMA';
    const holder = vma ? ` in the VMA at page ${vma.at} (${vma.address}, ${plural(vma.pages, 'page')})` : '';
    return fail(
      'reserve',
      path,
      `the window reserve's guard page ${page} (${address}) is not the reserve: expected ${want}, got ${got}${holder}`,
      want,
      vma ? `${vma.perms} ${vma.name}` : null,
      maps.map((l) => visible(l)),
    );
  });
}
