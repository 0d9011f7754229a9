// Sharding through the command line: `run --shard i/n` on the real kernel, `merge` of
// the shards' JSON reports, against one unsharded run of the same cases.
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../runner/qemu/arch.js';
import type { RunReport } from '../../runner/report/types.js';

const CASES = ['cases/naming', 'cases/merge', 'cases/fork'];
const N = 3;
const out = await mkdtemp(join(tmpdir(), 'vmaspec-shards-'));
afterAll(() => rm(out, { recursive: true, force: true }));

const vmaspec = (args: string[]) => execa('node', [join(repoRoot, 'runner/bin/vmaspec.js'), ...args, '--no-color'], { cwd: repoRoot, reject: false, stderr: 'inherit' });
const read = async (f: string): Promise<RunReport> => JSON.parse(await readFile(join(out, f), 'utf8')) as RunReport;
const verdicts = (r: RunReport): Map<string, string> => new Map(r.cases.map((c) => [c.id, c.verdict]));

let whole: RunReport;
let shards: RunReport[];
let merged: RunReport;
let mergeExit: number;

beforeAll(async () => {
  await vmaspec(['run', '--json', join(out, 'whole.json'), ...CASES]);
  for (let i = 1; i <= N; i++) await vmaspec(['run', '--shard', `${i}/${N}`, '--json', join(out, `shard-${i}.json`), ...CASES]);
  const m = await vmaspec(['merge', ...Array.from({ length: N }, (_, i) => join(out, `shard-${i + 1}.json`)), '--json', join(out, 'merged.json')]);
  mergeExit = m.exitCode ?? -1;
  [whole, merged, ...shards] = await Promise.all([read('whole.json'), read('merged.json'), ...Array.from({ length: N }, (_, i) => read(`shard-${i + 1}.json`))]);
}, 10 * 60_000);

describe(`${N} shards of ${CASES.join(' ')}`, () => {
  it('split the cases: no case in two shards, none lost', () => {
    const ids = shards.flatMap((s) => s.cases.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(whole.cases.map((c) => c.id).sort());
    expect(shards.every((s) => s.cases.length > 0)).toBe(true);
  });

  it('merged, give the verdicts and summary of one unsharded run', () => {
    expect(verdicts(merged)).toEqual(verdicts(whole));
    expect(merged.summary).toEqual(whole.summary);
    expect(mergeExit).toBe(whole.summary.pass + whole.summary.skip === whole.summary.total ? 0 : 1);
  });
});
