// Seeding a never-built build dir from a completed sibling of the same working copy
// (runner/kernel/seed.ts): real files and a real ELF (this machine's /bin/true as vmlinux).
// Only a whole, completed build of the same copy is a seed; a build cut short or failed
// (no marker), a damaged vmlinux, another copy's build, or a copy left by a process that
// died half-way (a partial dir) never is, and the seeded dir is complete or absent.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../runner/log.js';
import type { ConfigPlan } from '../../runner/kernel/configure.js';
import { fragmentRequests } from '../../runner/kernel/kconfig.js';
import { markBuilt, seedBuildDir, seedsFor, unmarkBuilt } from '../../runner/kernel/seed.js';
import { workBuildDir, type WorkingCopy } from '../../runner/kernel/series.js';

const FRAGMENT = 'CONFIG_ANON_VMA_NAME=y\nCONFIG_PROC_FS=y\n';

/** A plan on tinyconfig asking for the options of FRAGMENT. */
const plan = (configKey: string): ConfigPlan => ({
  fragments: { requests: fragmentRequests('vma.config', FRAGMENT).map((r) => ({ ...r, role: 'need' as const })), key: 'k' },
  base: { kind: 'tinyconfig' },
  configKey,
  toolchainKey: 't',
});

let cache: string;
let copy: WorkingCopy;
let other: WorkingCopy;

beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'vmaspec-seed-'));
  copy = { root: join(cache, 'src', 'work-aaaa'), tree: join(cache, 'src', 'work-aaaa', 'linux'), pristine: '/nonexistent' };
  other = { root: join(cache, 'src', 'work-bbbb'), tree: join(cache, 'src', 'work-bbbb', 'linux'), pristine: '/nonexistent' };
});
afterEach(async () => {
  await rm(cache, { recursive: true, force: true });
});

/** A build dir of `of` for `configKey` as a build leaves it: objects, a `.config`, a whole vmlinux; marked when `completed`. */
async function buildDir(of: WorkingCopy, configKey: string, config: string, completed: boolean): Promise<string> {
  const dir = workBuildDir(of, configKey, cache);
  await mkdir(join(dir, 'mm'), { recursive: true });
  await writeFile(join(dir, 'mm', 'mmap.o'), `object of ${configKey}\n`);
  await writeFile(join(dir, '.config'), config);
  await copyFile('/bin/true', join(dir, 'vmlinux'));
  if (completed) await markBuilt(dir, of);
  return dir;
}

describe('seeding a build dir', () => {
  it('copies the completed sibling whose .config lacks the fewest requested options, without its marker', async () => {
    const far = await buildDir(copy, 'far', '# CONFIG_ANON_VMA_NAME is not set\n# CONFIG_PROC_FS is not set\n', true);
    const near = await buildDir(copy, 'near', '# CONFIG_ANON_VMA_NAME is not set\nCONFIG_PROC_FS=y\n', true);
    expect((await seedsFor(workBuildDir(copy, 'new', cache), copy, plan('new'))).map((s) => [s.dir, s.unmet])).toEqual([
      [near, ['CONFIG_ANON_VMA_NAME=y']],
      [far, ['CONFIG_ANON_VMA_NAME=y', 'CONFIG_PROC_FS=y']],
    ]);
    const out = workBuildDir(copy, 'new', cache);
    expect(await seedBuildDir(out, copy, plan('new'), silentLogger)).toBe(near);
    expect(await readFile(join(out, 'mm', 'mmap.o'), 'utf8')).toBe('object of near\n');
    expect(await readFile(join(out, 'vmlinux'))).toEqual(await readFile(join(near, 'vmlinux')));
    // mtimes kept: make takes the copied objects as up to date against their sources.
    expect((await stat(join(out, 'mm', 'mmap.o'))).mtimeMs).toBe((await stat(join(near, 'mm', 'mmap.o'))).mtimeMs);
    // Not hard links: the compiler rewriting an object of the copy must not write into the seed.
    expect((await stat(join(out, 'mm', 'mmap.o'))).ino).not.toBe((await stat(join(near, 'mm', 'mmap.o'))).ino);
    expect(existsSync(join(out, '.vmaspec-built'))).toBe(false);
    expect((await seedsFor(out, copy, plan('new'))).map((s) => s.dir)).not.toContain(out);
  });

  it('takes no build cut short or failed, no damaged vmlinux, no build of another working copy', async () => {
    await buildDir(copy, 'interrupted', 'CONFIG_ANON_VMA_NAME=y\n', false);
    const rebuilt = await buildDir(copy, 'rebuilding', 'CONFIG_ANON_VMA_NAME=y\n', true);
    await unmarkBuilt(rebuilt); // make started anew in it (a series, another option): no longer complete
    const damaged = await buildDir(copy, 'damaged', 'CONFIG_ANON_VMA_NAME=y\n', true);
    await truncate(join(damaged, 'vmlinux'), 100);
    await buildDir(other, 'foreign', 'CONFIG_ANON_VMA_NAME=y\n', true);
    const out = workBuildDir(copy, 'new', cache);
    expect(await seedsFor(out, copy, plan('new'))).toEqual([]);
    expect(await seedBuildDir(out, copy, plan('new'), silentLogger)).toBeNull();
    expect(existsSync(out)).toBe(false);
  });

  it('leaves a build dir that has content alone (an earlier build there continues incrementally)', async () => {
    await buildDir(copy, 'done', 'CONFIG_ANON_VMA_NAME=y\n', true);
    const out = workBuildDir(copy, 'new', cache);
    await mkdir(out, { recursive: true });
    await writeFile(join(out, '.config'), 'CONFIG_PROC_FS=y\n');
    expect(await seedBuildDir(out, copy, plan('new'), silentLogger)).toBeNull();
    expect(await readdir(out)).toEqual(['.config']);
    // An empty one (made by an older vmaspec before its lock) is seeded.
    await rm(join(out, '.config'));
    expect(await seedBuildDir(out, copy, plan('new'), silentLogger)).not.toBeNull();
  });

  it('never takes the copy of a process that died half-way for a build dir or a seed', async () => {
    const seed = await buildDir(copy, 'done', 'CONFIG_ANON_VMA_NAME=y\n', true);
    const out = workBuildDir(copy, 'new', cache);
    // What a seeding process killed during its copy leaves: the partial dir, with the seed's marker.
    const dead = spawnSync('true').pid!;
    const partial = `${out}.partial-${dead}`;
    expect(spawnSync('cp', ['-a', `${seed}/.`, partial]).status).toBe(0);
    await rm(join(partial, 'vmlinux'));
    expect(existsSync(out)).toBe(false);
    expect((await seedsFor(out, copy, plan('new'))).map((s) => s.dir)).toEqual([seed]);
    expect(await seedBuildDir(out, copy, plan('new'), silentLogger)).toBe(seed);
    expect(existsSync(partial)).toBe(false);
    expect(await readFile(join(out, 'vmlinux'))).toEqual(await readFile(join(seed, 'vmlinux')));
  });
});
