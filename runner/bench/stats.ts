// Repeated measurements and their summary.

/** min / median / max of repeated runs, and the runs themselves. */
export interface Stat {
  min: number;
  median: number;
  max: number;
  runs: number[];
}

export function stat(runs: readonly number[]): Stat {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0] ?? NaN, median, max: sorted.at(-1) ?? NaN, runs: [...runs] };
}

/** Runs `measure` n times in a row and summarises what it returns. */
export async function repeat(n: number, measure: (i: number) => Promise<number>): Promise<Stat> {
  const runs: number[] = [];
  for (let i = 0; i < n; i++) runs.push(await measure(i));
  return stat(runs);
}
