// The window reserve's guard pages at each expect step: a kernel that changed them (dropped or
// moved the reserve's name, changed its perms, unmapped it) fails the step, naming what it found.
import { damagedGuards, reserveLook, windowVmas } from '../results/maps.js';
import type { WindowInfo } from '../results/types.js';
import { quoted, visible } from '../util/text.js';
import { failer, type ObserveWhere } from './observe-failure.js';
import type { Failure } from './types.js';

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** One `reserve` failure per guard page (-1, `pages`) of the snapshot that does not look like the reserve. */
export function judgeReserve(maps: readonly string[], window: WindowInfo, where: ObserveWhere): Failure[] {
  const fail = failer(where);
  const path = `${where.path}.expect`;
  const want = reserveLook(window);
  return damagedGuards(windowVmas(maps, window), window).map(({ page, address, vma }) => {
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
