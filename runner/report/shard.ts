// Sharding: `--shard i/n` runs a deterministic part of the cases (the i-th of every n,
// in case id order), and `vmaspec merge` joins the JSON reports of the shards into one
// report with one verdict.
import { readFile } from 'node:fs/promises';
import { VmaspecError } from '../errors.js';
import { runReport } from './build.js';
import { REPORT_SCHEMA, type RunReport } from './types.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses `i/n` (1 <= i <= n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new VmaspecError('E_USAGE', `--shard: expected i/n with 1 <= i <= n, e.g. 2/4; got "${text}"`);
  return { index, count };
}

/** The cases of one shard: sorted by id, every n-th starting at the i-th; the shards of one n partition the cases. */
export function selectShard<T extends { id: string }>(cases: readonly T[], shard: Shard): T[] {
  const sorted = [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const mine = new Set(sorted.filter((_, i) => i % shard.count === shard.index - 1).map((c) => c.id));
  return cases.filter((c) => mine.has(c.id));
}

/** One report from the shards' reports: the cases of all (each once), the kernel they share, the sum of their times. */
export function mergeReports(reports: readonly RunReport[], labels: readonly string[] = []): RunReport {
  if (reports.length === 0) throw new VmaspecError('E_USAGE', 'merge: no reports given');
  const label = (i: number): string => labels[i] ?? `report ${i + 1}`;
  reports.forEach((r, i) => {
    if (r.schema !== REPORT_SCHEMA) throw new VmaspecError('E_USAGE', `merge: ${label(i)} is not a ${REPORT_SCHEMA} report (schema ${JSON.stringify(r.schema)})`);
  });
  const first = reports[0]!;
  const kernelOf = (r: RunReport): string => `${r.kernel.source} ${r.kernel.release} ${r.kernel.arch} ${r.kernel.id ?? ''}`;
  reports.forEach((r, i) => {
    if (kernelOf(r) !== kernelOf(first)) throw new VmaspecError('E_USAGE', `merge: ${label(i)} ran on another kernel (${kernelOf(r)}) than ${label(0)} (${kernelOf(first)})`);
  });
  const seen = new Map<string, number>();
  reports.forEach((r, i) =>
    r.cases.forEach((c) => {
      const before = seen.get(c.id);
      if (before !== undefined) throw new VmaspecError('E_USAGE', `merge: case ${c.id} is in ${label(before)} and in ${label(i)}; shards must not overlap`);
      seen.set(c.id, i);
    }),
  );
  const cases = reports.flatMap((r) => r.cases).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const started = reports.map((r) => r.started).sort()[0]!;
  return runReport({ kernel: first.kernel, started, durationMs: reports.reduce((sum, r) => sum + r.durationMs, 0), cases });
}

/** Reads JSON reports from files. */
export async function readReports(files: readonly string[]): Promise<RunReport[]> {
  return Promise.all(
    files.map(async (f) => {
      try {
        return JSON.parse(await readFile(f, 'utf8')) as RunReport;
      } catch (cause) {
        throw new VmaspecError('E_USAGE', `merge: cannot read the JSON report ${f}`, { cause });
      }
    }),
  );
}
