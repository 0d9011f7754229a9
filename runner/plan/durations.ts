// How long each case took last time (in the guest), kept in the cache, so that guests
// booted side by side get equal shares of the work (runner/plan/split.ts). A case
// never run before weighs a tenth of its time limit.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheWriteError } from '../kernel/cache-faults.js';
import type { Logger } from '../log.js';
import type { CaseReport } from '../report/types.js';

const FILE = 'durations.json';

/** Case id → ms, from earlier runs; empty when there is no record. */
export async function readDurations(cacheDir: string): Promise<Map<string, number>> {
  try {
    return new Map(Object.entries(JSON.parse(await readFile(join(cacheDir, FILE), 'utf8')) as Record<string, number>));
  } catch {
    return new Map();
  }
}

/**
 * Adds this run's durations to the record (atomically: shards may finish together). Never
 * fails: a record that cannot be written (a read-only or full cache) is a warning, since
 * the run's results matter more than the next run's shares.
 */
export async function saveDurations(cacheDir: string, known: Map<string, number>, cases: readonly CaseReport[], log: Logger): Promise<void> {
  const all = new Map(known);
  for (const c of cases) if (c.durationMs !== null && c.verdict !== 'skip') all.set(c.id, Math.round(c.durationMs));
  const tmp = join(cacheDir, `${FILE}.${process.pid}`);
  try {
    await writeFile(tmp, `${JSON.stringify(Object.fromEntries([...all].sort()), null, 1)}\n`);
    await rename(tmp, join(cacheDir, FILE));
  } catch (cause) {
    const why = ((await cacheWriteError(cause, cacheDir)) ?? (cause as Error)).message;
    await rm(tmp, { force: true }).catch(() => undefined);
    log.info(`warning: the case durations were not saved (${why}); the next run shares out cases by their time limits`);
  }
}

/** The weight of a case when sharing out work: its last duration, else a tenth of its time limit. */
export const caseWeight = (durations: Map<string, number>, id: string, timeoutMs: number): number => durations.get(id) ?? timeoutMs / 10;
