// Compares the maps-based observations of an expect step: `contains` (listed VMAs appear,
// in order, others allowed) and `maps_line` (one maps line, byte-exact: F1–F3).
import type { MapsLineExpect } from '../cases/expect-types.js';
import type { ExpectedVma } from '../cases/types.js';
import type { Expected } from '../plan/compiled.js';
import { NAME_COLUMN, type WindowVma } from '../results/maps.js';
import type { ObservedVma, WindowInfo } from '../results/types.js';
import { quoted, visible } from '../util/text.js';
import { failer, type StepWhere } from './failure.js';
import { fillPlaceholders } from './placeholders.js';
import { describeVma, selectVma } from './select.js';
import type { Failure, LayoutContext } from './types.js';

/** Failures of `expect.contains`: each entry must match a VMA starting at its page, in order; a failure carries its entry's position. */
export function judgeContains(check: Expected<ExpectedVma[]>, actual: ObservedVma[], window: WindowInfo, where: StepWhere): Failure[] {
  const path = check.path;
  const layout: LayoutContext = { path, proc: where.proc, expected: null, actual };
  const out: Failure[] = [];
  let from = 0;
  for (const e of check.expect) {
    const i = e.index;
    const fail = failer(where, e.pos);
    const j = actual.findIndex((a, k) => k >= from && a.at === e.at);
    const address = `0x${(window.base + BigInt(e.at) * BigInt(window.pageSize)).toString(16)}`;
    if (j < 0) {
      const holder = actual.find((a) => a.at < e.at && e.at < a.at + a.pages);
      const why = holder ? `page ${e.at} is inside the VMA at page ${holder.at} (${holder.pages} pages)` : 'no VMA starts there';
      out.push({ ...fail('contains', `${path}[${i}]`, `VMA ${i} at page ${e.at} (${address}) missing: ${why}`, `${e.at} +${e.pages}`, null), layout });
      continue;
    }
    from = j + 1;
    const a = actual[j] as ObservedVma;
    const fields: ['pages' | 'perms' | 'name', string | number | undefined, string | number][] = [
      ['pages', e.pages, a.pages],
      ['perms', e.perms, a.perms],
      ['name', e.name, a.name],
    ];
    for (const [field, want, got] of fields) {
      if (want === undefined || want === got) continue;
      out.push({ ...fail('contains', `${path}[${i}].${field}`, `VMA ${i} at page ${e.at} (${a.address}): ${field}: expected ${quoted(want)}, got ${quoted(got)}`, want, got), layout });
    }
  }
  return out;
}

/**
 * The expected line of a `maps_line` item, for a VMA whose maps line shows `dev` and `inode`.
 * `{dev}` becomes the device field `MM:mm` as that line has it (the shmem device depends on the
 * kernel config: the order anonymous devices are handed out). `{inode}` becomes the inode in
 * decimal, nothing more (shmem inode numbers depend on what ran before in the boot, and on the CPU:
 * a wider inode needs fewer spaces after it). `{pad}` becomes the spaces the kernel writes between
 * the inode and the name (its trailing space, `seq_pad` up to byte 72, one more): the name then
 * starts at byte 73, or two spaces after a longer text before `{pad}` (F2). Every other byte is the case's.
 */
export function expandLine(line: string, vma: { dev: string; inode: bigint }): string {
  const text = fillPlaceholders(line, { dev: vma.dev, inode: String(vma.inode) }).text;
  const at = text.indexOf('{pad}');
  if (at < 0) return text;
  return text.slice(0, at) + ' '.repeat(Math.max(NAME_COLUMN - at, 2)) + text.slice(at + '{pad}'.length);
}

/** The device field (`MM:mm`) of a maps line, as written: the fourth of `start-end perms pgoff MM:mm inode` (F1). */
const devField = (line: string): string => line.split(' ', 4)[3] ?? '';

/** Failures of one `expect.maps_line` item against the snapshot's maps lines and the VMAs of them that overlap the window. */
export function judgeMapsLine(check: Expected<MapsLineExpect>, maps: readonly string[], vmas: readonly WindowVma[], where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const item = check.expect;
  const sel = selectVma(vmas, item.vma, true);
  if ('error' in sel) return [fail('maps_line', check.path, sel.error, item.line, null, maps.map((l) => visible(l)))];
  const got = sel.vma.line;
  const want = expandLine(item.line, { dev: devField(got), inode: sel.vma.entry.inode });
  if (got === want) return [];
  const at = [...want].findIndex((c, k) => got[k] !== c);
  const pos = at < 0 ? want.length : at;
  return [
    fail('maps_line', `${check.path}.line`, `${describeVma(sel.vma)}: expected ${quoted(want)}, got ${quoted(got)} (first difference at byte ${pos}; ${want.length} vs ${got.length} bytes)`, want, got),
  ];
}
