// The hand-over of docs/ci.md's workflow (issue 16): `gate --build-only` builds the base and
// the changed kernel once and prints the folders they are kept in; a shard whose cache holds
// only those folders runs its part of the gate without building a kernel, on kernels whose ids
// are the keys `vmaspec kernel key` prints. CI restores the folders to the same paths; here
// they move with the cache's root, which no kernel key names.
import { execa } from 'execa';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateReport } from '../../runner/gate/run.js';
import { defaultCacheDir } from '../../runner/kernel/cache.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const PATCH = join(repoRoot, 'mutants', 'len0-skips-validation.patch');
const CHANGE = ['--series', PATCH];
/** A small part of the cases: the shards' gate runs on the restored kernels. */
const SHARD = ['--shard', '1/2', 'cases/errors'];

const out = await mkdtemp(join(tmpdir(), 'vmaspec-handoff-'));
const shardCache = join(out, 'cache');
// The copy of a kernel cache takes a while to delete on a loaded host: more than the default 10 s hook timeout.
afterAll(() => rm(out, { recursive: true, force: true }), 120_000);

const vmaspec = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [join(repoRoot, 'runner/bin/vmaspec.js'), ...args], { cwd: repoRoot, reject: false, env: { ...process.env, ...env }, all: true });

let kept: string[];
let keys: { base: string; change: string };
let shard: { exitCode: number; log: string; gate: GateReport };

beforeAll(async () => {
  const built = await vmaspec(['gate', '--build-only', ...CHANGE, '--artifacts', join(out, 'build')]);
  expect(built.exitCode, built.all).toBe(0);
  kept = built.stdout.trim().split('\n');
  keys = { base: (await vmaspec(['kernel', 'key'])).stdout.trim(), change: (await vmaspec(['kernel', 'key', '--patch', PATCH])).stdout.trim() };
  // What actions/cache hands the shard: the printed folders, nothing else of the cache.
  for (const dir of kept) await cp(dir, join(shardCache, relative(defaultCacheDir(), dir)), { recursive: true, preserveTimestamps: true });
  const json = join(out, 'shard.json');
  const run = await vmaspec(['gate', ...CHANGE, ...SHARD, '--json', json, '--no-color', '--artifacts', join(out, 'shard')], { VMASPEC_CACHE: shardCache });
  shard = { exitCode: run.exitCode ?? -1, log: run.all ?? '', gate: JSON.parse(await readFile(json, 'utf8')) as GateReport };
}, 20 * 60_000);

describe('gate --build-only, then a shard on its kernels', () => {
  it('prints one folder per kernel, each a kernel of the cache', () => {
    expect(kept).toHaveLength(2);
    for (const dir of kept) expect(relative(defaultCacheDir(), dir).startsWith('..'), dir).toBe(false);
  });

  it('lets the shard run its gate without building a kernel', async () => {
    expect([0, 1], shard.log).toContain(shard.exitCode);
    expect(shard.gate.change.cases.length).toBeGreaterThan(0);
    expect(shard.log).not.toMatch(/kernel: (building|configuring|applying|linking a working copy)/);
    expect(shard.log, 'the shard lays out the source itself').toMatch(/kernel: extracting/);
    const builds = dirname(join(shardCache, relative(defaultCacheDir(), kept[0]!)));
    expect((await readdir(builds)).sort(), 'no kernel was added to the cache').toEqual(kept.map((k) => basename(k)).sort());
  });

  it('runs on the kernels whose ids are the keys `kernel key` prints', () => {
    expect([shard.gate.base.kernel.id, shard.gate.change.kernel.id]).toEqual([keys.base, keys.change]);
  });
});
