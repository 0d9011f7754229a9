// Cases shared out among guests booted side by side: the heaviest first, each to the
// guest with the least work so far (LPT); weights are the cases' last durations
// (runner/plan/durations.ts). Each guest keeps its cases in suite order.

/** `n` groups of the items, balanced by weight; a group never empty when n <= items. */
export function splitByWeight<T>(items: readonly T[], n: number, weight: (t: T) => number): T[][] {
  const order = items.map((item, i) => ({ item, i, w: weight(item) })).sort((a, b) => b.w - a.w || a.i - b.i);
  const bins = Array.from({ length: Math.max(1, n) }, () => ({ load: 0, members: [] as { item: T; i: number }[] }));
  for (const o of order) {
    const bin = bins.reduce((best, b) => (b.load < best.load ? b : best));
    bin.load += o.w;
    bin.members.push(o);
  }
  return bins.filter((b) => b.members.length > 0).map((b) => b.members.sort((x, y) => x.i - y.i).map((m) => m.item));
}
