// What each case cost last time (in the guest), kept in the cache, so that guests
// booted side by side get equal shares of the work (runner/plan/split.ts): its wall
// time, and how much of it the guest's CPU was idle (a case that sleeps needs no core).
// A case never run before weighs a tenth of its time limit.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheWriteError } from '../kernel/cache-faults.js';
import type { Logger } from '../log.js';
import type { CaseReport } from '../report/types.js';

const FILE = 'durations.json';

/** A case's last run in a guest: its wall time, and the part of it the CPU was idle. */
export interface CaseCost {
  ms: number;
  idleMs: number;
}

/** Case id → its last cost, from earlier runs; empty when there is no record. An entry of an older vmaspec (ms alone) has no idle time. */
export async function readDurations(cacheDir: string): Promise<Map<string, CaseCost>> {
  let saved: unknown;
  try {
    saved = JSON.parse(await readFile(join(cacheDir, FILE), 'utf8'));
  } catch {
    return new Map();
  }
  const costs = new Map<string, CaseCost>();
  if (typeof saved !== 'object' || saved === null) return costs;
  for (const [id, v] of Object.entries(saved as Record<string, unknown>)) {
    if (typeof v === 'number' && v >= 0) costs.set(id, { ms: v, idleMs: 0 });
    else if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && n >= 0)) costs.set(id, { ms: v[0] as number, idleMs: Math.min(v[0] as number, v[1] as number) });
  }
  return costs;
}

/**
 * Adds this run's costs to the record (atomically: shards may finish together): a case's
 * wall time from its report, its idle time from `idleMs` (case id → ms; 0 when absent). Never
 * fails: a record that cannot be written (a read-only or full cache) is a warning, since
 * the run's results matter more than the next run's shares.
 */
export async function saveDurations(cacheDir: string, known: Map<string, CaseCost>, cases: readonly CaseReport[], idleMs: ReadonlyMap<string, number>, log: Logger): Promise<void> {
  const all = new Map(known);
  for (const c of cases) if (c.durationMs !== null && c.verdict !== 'skip') all.set(c.id, { ms: Math.round(c.durationMs), idleMs: Math.round(Math.min(c.durationMs, idleMs.get(c.id) ?? 0)) });
  const tmp = join(cacheDir, `${FILE}.${process.pid}`);
  try {
    // `[ms, idle ms]` per case.
    await writeFile(tmp, `${JSON.stringify(Object.fromEntries([...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, c]) => [id, [c.ms, c.idleMs]])), null, 1)}\n`);
    await rename(tmp, join(cacheDir, FILE));
  } catch (cause) {
    const why = ((await cacheWriteError(cause, cacheDir)) ?? (cause as Error)).message;
    await rm(tmp, { force: true }).catch(() => undefined);
    log.info(`warning: the case durations were not saved (${why}); the next run shares out cases by their time limits`);
  }
}

/** The cost of a case when sharing out work: its last one, else a tenth of its time limit (busy all along). */
export const caseCost = (durations: ReadonlyMap<string, CaseCost>, id: string, timeoutMs: number): CaseCost => durations.get(id) ?? { ms: timeoutMs / 10, idleMs: 0 };
