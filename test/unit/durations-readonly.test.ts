// A read-only cache loses no report (issue 13, bug 8): all cases passed, then EROFS on
// durations.json ended the run with exit 2 and no summary. Saving durations is a warning
// now. A real read-only tmpfs (root only, else skipped).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../runner/log.js';
import { readDurations, saveDurations } from '../../runner/plan/durations.js';
import type { CaseReport } from '../../runner/report/types.js';
import { canMount, tmpfs, unmountAll } from '../fixtures/tmpfs.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-durations-'));
});
afterAll(async () => {
  unmountAll();
  await rm(root, { recursive: true, force: true });
});

const report = { id: 'naming/a', verdict: 'pass', durationMs: 12 } as CaseReport;

describe('saveDurations', () => {
  it.skipIf(!canMount)('warns, and does not fail, when the cache is read-only', async () => {
    const cache = tmpfs(root, 'ro,size=1m');
    const lines: string[] = [];
    await expect(saveDurations(cache, new Map(), [report], new Map(), { ...silentLogger, info: (m: string) => lines.push(m) })).resolves.toBeUndefined();
    expect(lines).toEqual([
      `warning: the case durations were not saved (read-only file system in ${cache}: make it writable, or set --cache-dir (or VMASPEC_CACHE) to another directory); the next run shares out cases by their time limits`,
    ]);
  });

  it('saves them where it can', async () => {
    await saveDurations(root, new Map([['old/b', { ms: 5, idleMs: 0 }]]), [report], new Map([['naming/a', 8]]), silentLogger);
    expect(await readDurations(root)).toEqual(
      new Map([
        ['naming/a', { ms: 12, idleMs: 8 }],
        ['old/b', { ms: 5, idleMs: 0 }],
      ]),
    );
  });
});
