// The model's state as an `expect` step value (the YAML-level object a case writes, docs/cases.md):
// `layout` (every case VMA in the window: pages, perms, name) and `smaps` (per VMA: Size, VmFlags
// the model tracks, and the accounting of private anonymous VMAs from their pages), `rollup` lower
// bounds (the window's VMAs are part of the rollup's sums).
import { CASE_PAGE_SIZE } from '../cases/shapes.js';
import { looksLikeReserve, TRACKED_FLAGS, type Space, type Vma } from './space.js';
import { mustKnow } from './unknown.js';

const KB_PER_PAGE = CASE_PAGE_SIZE / 1024;
/** A VMA that could hold an aligned 2 MiB range may get transparent huge pages (THP always): its accounting is a "may". */
const THP_PAGES = 512;

/** The maps name column of a case VMA (F3, F4, F5; a file VMA shows its path until named, R10b). */
export function mapsName(s: Space, v: Vma): string {
  if (v.file !== null) return v.name !== null ? `[anon_shmem:${v.name}]` : (s.files.get(v.file)?.path ?? '');
  return v.name === null ? '' : `[anon:${v.name}]`;
}

/** The VmFlags codes the model is sure of: the access bits, VM_MAY* (no VM_MAYEXEC for a file of a noexec mount), sharing, and the tracked flags. */
function vmFlags(s: Space, v: Vma): { has: string[]; lacks: string[] } {
  const has = ['mr', 'mw'];
  const lacks: string[] = [];
  (v.file !== null && s.files.get(v.file)?.noexec ? lacks : has).push('me');
  for (const [code, bit] of [['rd', 'r'], ['wr', 'w'], ['ex', 'x']] as const) (v.prot.includes(bit) ? has : lacks).push(code);
  (v.shared ? has : lacks).push('sh', 'ms');
  for (const f of TRACKED_FLAGS) (v.flags.has(f) ? has : lacks).push(f);
  return { has, lacks };
}

/** Smaps of a private anonymous VMA from its pages: each written page resident, private and dirty (A1, A5); null for file VMAs (shared memory included) and THP-sized VMAs. */
function accounting(s: Space, v: Vma): Record<string, number> | null {
  if (v.file !== null || v.end - v.start >= THP_PAGES) return null;
  let anon = 0;
  for (let p = v.start; p < v.end; p++) {
    if (s.pages[p] === 'anon') anon++;
  }
  const kb = anon * KB_PER_PAGE;
  return { Rss: kb, Pss: kb, Shared_Clean: 0, Shared_Dirty: 0, Private_Clean: 0, Private_Dirty: kb, Anonymous: kb };
}

/** The VMAs a layout speaks of: those holding a window page, the reserve's pieces left out. */
function layoutVmas(s: Space): Vma[] {
  const vmas = s.vmas.filter((v) => v.end > 0 && v.start < s.window && !looksLikeReserve(v));
  mustKnow(vmas.every((v) => v.start >= 0 && v.end <= s.window), 'a VMA reaching past the window');
  return vmas;
}

/** The raw `expect` step of the layout of `s` alone (pages, perms, names; `vmas: 0` when empty). */
export function layoutOf(s: Space): { expect: Record<string, unknown> } {
  const layout = layoutVmas(s).map((v) => ({ at: v.start, pages: v.end - v.start, perms: `${v.prot}${v.shared ? 's' : 'p'}`, name: mapsName(s, v) }));
  return { expect: layout.length ? { layout } : { vmas: 0 } };
}

/** The raw `expect` step value for the state `s`: its layout, smaps and rollup. */
export function expectOf(s: Space): { expect: Record<string, unknown> } {
  const vmas = layoutVmas(s);
  const { expect } = layoutOf(s);
  let rss = 0;
  const smaps = vmas.map((v) => {
    const acct = accounting(s, v);
    rss += acct?.['Rss'] ?? 0;
    return { at: v.start, pages: v.end - v.start, Size: (v.end - v.start) * KB_PER_PAGE, ...acct, VmFlags: vmFlags(s, v) };
  });
  if (smaps.length) expect['smaps'] = smaps;
  if (rss > 0) expect['rollup'] = { Rss: { min: rss }, Anonymous: { min: rss } };
  return { expect };
}
