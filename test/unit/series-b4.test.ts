// `--series` reads what `b4 am` writes (issue 16): a real b4 0.12 `.mbx` (test/fixtures/b4/,
// README there) splits into its two patches, in order, from the file or from its folder, and
// the series machinery applies them in that order with real GNU patch; the second patch's
// context is the first one's change, so the other order does not apply.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { readChangeSeries, splitMbox } from '../../runner/gate/series.js';
import { silentLogger } from '../../runner/log.js';
import { withSeriesApplied, workingCopy, type WorkingCopy } from '../../runner/kernel/series.js';

const fixtures = resolve('test/fixtures/b4');
const mbx = join(fixtures, 'v2_20261204_dev_mm_anon_name_limits.mbx');

let root: string;
let copy: WorkingCopy;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-b4-'));
  const dir = join(root, 'pristine', 'linux');
  await cp(join(fixtures, 'base'), dir, { recursive: true });
  copy = await workingCopy({ dir, identity: `test:${root}`, label: 'b4-base' }, join(root, 'cache'), silentLogger);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const anonName = (): Promise<string> => readFile(join(copy.tree, 'mm', 'anon_name.c'), 'utf8');

describe('a b4 am series', () => {
  it('splits into its two patches in order, from the .mbx and from its folder (the .cover is not a patch)', async () => {
    for (const from of [mbx, fixtures]) {
      const series = await readChangeSeries([from]);
      expect(series.map((p) => p.label)).toEqual([
        `${mbx} [1/2] [PATCH v2 1/2] mm/anon_name: lower the name limit to 64`,
        `${mbx} [2/2] [PATCH v2 2/2] mm/anon_name: add a lower limit`,
      ]);
      expect(series.map((p) => p.text.toString().split('\n', 1)[0])).toEqual(['From git@z Thu Jan  1 00:00:00 1970', 'From git@z Thu Jan  1 00:00:00 1970']);
      // The reviewer's trailer that b4 collected stays with the first patch.
      expect(series[0]!.text.toString()).toContain('Reviewed-by: A Reviewer <reviewer@example.org>');
      expect(Buffer.concat(series.map((p) => p.text)).toString()).toBe(await readFile(mbx, 'utf8'));
    }
  });

  it('applies in order to the tree git am gives, and is reversed afterwards', async () => {
    const before = await anonName();
    const series = await readChangeSeries([mbx]);
    const applied = await withSeriesApplied(copy, series, 'b4-base', silentLogger, anonName);
    expect(applied).toBe(await readFile(join(fixtures, 'expected-anon_name.c'), 'utf8'));
    expect(await anonName()).toBe(before);
  });

  it('does not apply the other way round: patch 2 needs patch 1', async () => {
    const series = (await readChangeSeries([mbx])).reverse();
    const error = await withSeriesApplied(copy, series, 'b4-base', silentLogger, anonName).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VmaspecError);
    expect((error as VmaspecError).message).toMatch(/^patch 1\/2 \(.*\[2\/2\] \[PATCH v2 2\/2\] .*\) does not apply to b4-base/);
  });
});

describe('the mbox From line', () => {
  it('is not a commit message line that starts with "From "', async () => {
    const text = (await readFile(mbx, 'utf8')).replace('A shorter limit for the example series.', 'From the list: a shorter limit.\nFrom 1970 on.');
    expect(text).toContain('\nFrom 1970 on.\n');
    expect(splitMbox(text, 'x.mbx').map((p) => p.text.toString().split('\n', 1)[0])).toEqual(['From git@z Thu Jan  1 00:00:00 1970', 'From git@z Thu Jan  1 00:00:00 1970']);
  });
});
