// Cache faults of the kernel stage (issue 13): a full disk (E_CACHE, no partial dir left,
// those of dead processes swept), a read-only cache (E_CACHE before anything is built), a
// damaged kernel in the cache (found, so rebuilt, never booted). Real file systems (a 1 MB
// tmpfs, a read-only tmpfs: root only, else skipped), real git, tar and cp.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { buildKernel } from '../../runner/kernel/build.js';
import { assertCacheWritable } from '../../runner/kernel/cache-faults.js';
import { elfProblem, entryProblem, MANIFEST } from '../../runner/kernel/manifest.js';
import { fillAtomically, removeStalePartials } from '../../runner/kernel/partial.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { keepResult } from '../../runner/kernel/series.js';
import { gitSource } from '../../runner/kernel/source.js';
import { silentLogger } from '../../runner/log.js';
import { loadArch } from '../../runner/qemu/arch.js';
import { canMount, tmpfs, unmountAll } from '../fixtures/tmpfs.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-cache-faults-'));
});

afterAll(async () => {
  unmountAll();
  await rm(root, { recursive: true, force: true });
});

const rejection = async (p: Promise<unknown>): Promise<VmaspecError> => {
  const e = await p.then(
    () => new Error('resolved'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VmaspecError);
  return e as VmaspecError;
};

/** A git repository whose one commit is a "kernel tree" of `bytes` bytes. */
function gitTree(bytes: number): string {
  const repo = join(root, `repo-${bytes}`);
  execFileSync('mkdir', ['-p', repo]);
  execFileSync('git', ['init', '-q', repo]);
  execFileSync('sh', ['-c', `echo 'VERSION = 6' > Makefile && head -c ${bytes} /dev/urandom > blob`], { cwd: repo });
  execFileSync('git', ['-C', repo, 'add', '.']);
  execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'tree']);
  return repo;
}

describe('a full disk', () => {
  it.skipIf(!canMount)('is E_CACHE saying what to do, and each try leaves no partial dir behind', async () => {
    const cache = tmpfs(root, 'size=1m');
    const repo = gitTree(2 * 1024 * 1024); // tar says only "Wrote only 8704 of 10240 bytes"
    for (let i = 0; i < 2; i++) {
      const e = await rejection(gitSource(repo, 'HEAD', cache, silentLogger));
      expect(e.code).toBe('E_CACHE');
      expect(e.message).toBe(`no space left on device in ${join(cache, 'src')}: free space, or set --cache-dir (or VMASPEC_CACHE) to another directory`);
      expect((await readdir(join(cache, 'src'))).filter((n) => n.includes('.partial-'))).toEqual([]);
    }
  });

  it('the partial dirs of dead processes are removed by the next fill; a live one stays', async () => {
    const parent = join(root, 'sweep');
    await mkdir(join(parent, 'git-0123.partial-999999999', 'linux'), { recursive: true });
    await mkdir(join(parent, `other.partial-${process.ppid}`), { recursive: true });
    await fillAtomically(join(parent, 'work-1'), async (partial) => writeFile(join(partial, 'f'), 'x'));
    expect((await readdir(parent)).sort()).toEqual([`other.partial-${process.ppid}`, 'work-1']);
    expect(await removeStalePartials(parent)).toEqual([]);
  });
});

describe('a read-only cache', () => {
  it.skipIf(!canMount)('stops the kernel stage before anything is built, with E_CACHE and what to do', async () => {
    const cache = tmpfs(root, 'ro,size=1m');
    const e = await rejection(assertCacheWritable(cache));
    expect(e.code).toBe('E_CACHE');
    expect(e.message).toBe(`read-only file system in ${cache}: make it writable, or set --cache-dir (or VMASPEC_CACHE) to another directory`);
    const request = buildKernelRequest({ cacheDir: cache }, await loadArch('x86_64'));
    expect((await rejection(buildKernel(request, silentLogger))).code).toBe('E_CACHE');
  });
});

describe('a damaged kernel in the cache', () => {
  /** A build dir's outputs as keepResult copies them; /bin/true stands in as a real ELF vmlinux. */
  async function keptKernel(name: string): Promise<string> {
    const out = join(root, `out-${name}`);
    await mkdir(join(out, 'include', 'config'), { recursive: true });
    await copyFile('/bin/true', join(out, 'vmlinux'));
    await writeFile(join(out, '.config'), 'CONFIG_MMU=y\n');
    await writeFile(join(out, 'include', 'config', 'kernel.release'), '6.12.0\n');
    const result = join(root, 'builds', name);
    await keepResult(out, result, ['vmlinux', '.config'], silentLogger);
    return result;
  }

  it('is whole as kept', async () => {
    expect(await entryProblem(await keptKernel('whole'))).toBeNull();
  });

  it('is found when its vmlinux was cut short', async () => {
    const result = await keptKernel('truncated');
    await truncate(join(result, 'vmlinux'), 4096);
    expect(await entryProblem(result)).toMatch(/^vmlinux has 4096 bytes, \d+ were kept$/);
  });

  it('is found when its vmlinux was cut short in an entry from before manifests (by its ELF headers)', async () => {
    const result = await keptKernel('legacy');
    await writeFile(join(result, MANIFEST), '2026-01-01T00:00:00.000Z\n');
    await truncate(join(result, 'vmlinux'), 4096);
    expect(await entryProblem(result)).toMatch(/vmlinux is truncated: its ELF headers need \d+ bytes, it has 4096$/);
  });

  it('is found when a file was overwritten with other bytes of the same size', async () => {
    const result = await keptKernel('overwritten');
    await writeFile(join(result, 'kernel.release'), '6.12.9\n');
    expect(await entryProblem(result)).toBe('kernel.release changed since it was kept');
  });

  it('is found when it was never completed', async () => {
    const result = await keptKernel('incomplete');
    await rm(join(result, MANIFEST));
    expect(await entryProblem(result)).toBe('it was never completed');
  });

  it('a vmlinux that is no ELF file, or an empty one, is found too', async () => {
    const file = join(root, 'not-elf');
    await writeFile(file, '');
    expect(await elfProblem(file)).toBe(`${file} is not an ELF file (0 bytes)`);
    expect(await elfProblem(join(root, 'missing'))).toBe(`${join(root, 'missing')} is missing`);
  });
});
