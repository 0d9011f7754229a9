// artifactsFolder claims its folder (mkdir, not a look first): commands started in the same
// millisecond each get a folder of their own, whichever kind, and never share result files.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { artifactsFolder } from '../../runner/run.js';

let base: string;
beforeAll(async () => {
  base = join(await mkdtemp(join(tmpdir(), 'vmaspec-artifacts-')), 'not-yet');
});
afterAll(async () => {
  await rm(join(base, '..'), { recursive: true, force: true });
});

it('gives each caller of one instant a new, empty folder of its kind', async () => {
  const now = new Date('2026-12-05T14:00:00.123Z');
  const runs = [1, 2, 3].map(() => artifactsFolder(base, 'run', now));
  const gate = artifactsFolder(base, 'gate', now);
  expect(runs.map((d) => basename(d))).toEqual(['run-2026-12-05T14-00-00-123Z', 'run-2026-12-05T14-00-00-123Z-2', 'run-2026-12-05T14-00-00-123Z-3']);
  expect(basename(gate)).toBe('gate-2026-12-05T14-00-00-123Z');
  expect((await readdir(base)).sort()).toEqual([...runs, gate].map((d) => basename(d)).sort());
  for (const d of [...runs, gate]) expect(await readdir(d)).toEqual([]);
});
