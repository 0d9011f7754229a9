// Cases shared out among guests booted side by side: the heaviest first, each to the
// guest with the least work so far (LPT); weights are the cases' last durations
// (runner/plan/durations.ts). Each guest keeps its cases in suite order.
//
// A case that spent most of its last run waiting (the guest's CPU idle: an upstream
// selftest's sleep(1)) needs no core: such cases may get a guest of their own beside the
// ones that share the cores, unless the estimate says the run would end later so.
import type { CaseCost } from './durations.js';

/** `n` groups of the items, balanced by weight (each group never empty when n <= items), and the largest group's weight. */
function lpt<T>(items: readonly T[], n: number, weight: (t: T) => number): { groups: T[][]; span: number } {
  const order = items.map((item, i) => ({ item, i, w: weight(item) })).sort((a, b) => b.w - a.w || a.i - b.i);
  const bins = Array.from({ length: Math.max(1, n) }, () => ({ load: 0, members: [] as { item: T; i: number }[] }));
  for (const o of order) {
    const bin = bins.reduce((best, b) => (b.load < best.load ? b : best));
    bin.load += o.w;
    bin.members.push(o);
  }
  const used = bins.filter((b) => b.members.length > 0);
  return { groups: used.map((b) => b.members.sort((x, y) => x.i - y.i).map((m) => m.item)), span: Math.max(0, ...used.map((b) => b.load)) };
}

/**
 * What a case costs its guest besides its own duration: the supervisor's records, kernel log
 * and fork between two cases. A guest's time from its first case to its last, less their
 * durations, was 1.5-2.4 ms a case here (TCG); without it, 106 short cases weighed 200 ms too little.
 */
export const CASE_OVERHEAD_MS = 2;
/** A case waits when at least this much of its last run, and at least half of it, was idle. */
export const WAITING_MIN_IDLE_MS = 200;
/** What one more guest is reckoned to add to the run: its QEMU's start and restore compete with the others' for the cores (~100 ms of CPU, docs/performance.md). */
export const EXTRA_GUEST_MS = 150;

/** The guests' groups: `groups[waiting]` holds the cases that mostly wait, when they got a guest of their own (else `waiting` is null); `groups[longest]` is the one estimated to end last. */
export interface GuestPlan<T> {
  groups: T[][];
  waiting: number | null;
  longest: number;
}

/**
 * Groups for `cores` guests sharing the cores, balanced by the cases' last wall times; plus,
 * when `extraGuest` and the run ends no later by the estimate (the largest group's wall time;
 * EXTRA_GUEST_MS more for the extra guest's), one more guest for the cases that mostly wait.
 * A tie goes to the extra guest: the shares are estimates from one earlier run (fork-cost's
 * time varies 1.5-2.6 s with the host's load), and a sleeping case then holds up no busy ones.
 */
export function planGuests<T>(items: readonly T[], cores: number, cost: (t: T) => CaseCost, extraGuest: boolean): GuestPlan<T> {
  const n = Math.max(1, Math.min(cores, items.length));
  const ms = (t: T): number => cost(t).ms + CASE_OVERHEAD_MS;
  const load = (g: T[]): number => g.reduce((sum, t) => sum + ms(t), 0);
  const plan = (groups: T[][], waiting: number | null): GuestPlan<T> => ({ groups, waiting, longest: groups.reduce((at, g, i) => (load(g) > load(groups[at]!) ? i : at), 0) });
  const shared = lpt(items, n, ms);
  const waits = (t: T): boolean => {
    const c = cost(t);
    return c.idleMs >= WAITING_MIN_IDLE_MS && 2 * c.idleMs >= c.ms;
  };
  const waiting: T[] = [];
  const busy: T[] = [];
  for (const t of items) (waits(t) ? waiting : busy).push(t);
  if (!extraGuest || waiting.length === 0 || busy.length === 0) return plan(shared.groups, null);
  const split = lpt(busy, Math.min(n, busy.length), ms);
  // The busy guests never end later without the waiting cases; the extra guest must not end last either.
  const span = Math.max(split.span, load(waiting) + EXTRA_GUEST_MS);
  return span <= shared.span ? plan([...split.groups, waiting], split.groups.length) : plan(shared.groups, null);
}
