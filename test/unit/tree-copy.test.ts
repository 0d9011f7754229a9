// A developer's tree configured in place is built from a clean copy in the cache (issue 16):
// hard links of its files, `make mrproper` run in the copy, renewed when the tree changes;
// the tree itself is never written. Real cp and GNU make on a small synthetic tree whose
// Makefile's mrproper removes what Kbuild's does (.config, include/config, generated headers,
// objects).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { silentLogger } from '../../runner/log.js';
import { cleanCopyOf, configuredInPlace, withCleanCopy } from '../../runner/kernel/tree-copy.js';

const exec = promisify(execFile);

const MAKEFILE = ['mrproper:', '\trm -rf .config .config.old include/config include/generated arch/x86/include/generated', "\tfind . -name '*.o' -delete", ''].join('\n');
const SOURCES: Record<string, string> = {
  Makefile: MAKEFILE,
  'mm/madvise.c': 'int madvise_set_anon_name(void) { return 0; }\n',
  'kernel/sys.c': 'int prctl_set_vma(void) { return 0; }\n',
  'include/linux/mm.h': '#define VM_NONE 0\n',
};
/** What configuring and building in place leaves in the tree. */
const PRODUCTS: Record<string, string> = {
  '.config': 'CONFIG_ANON_VMA_NAME=y\n',
  'include/config/auto.conf': 'CONFIG_ANON_VMA_NAME=y\n',
  'arch/x86/include/generated/asm/unistd_64.h': '#define __NR_prctl 157\n',
  'mm/madvise.o': 'ELF…',
};

/** Every entry under `dir` (but .git) with its inode, size, mtime and bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = join(e.parentPath, e.name);
    const rel = relative(dir, full);
    if (rel === '.git' || rel.startsWith('.git/')) continue;
    const s = await stat(full);
    out.set(rel, `${s.ino} ${s.size} ${s.mtimeMs} ${e.isFile() ? await readFile(full, 'utf8') : ''}`);
  }
  return out;
}

async function writeAll(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), text);
  }
}

let root: string;
let tree: string;
let cache: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-tree-copy-'));
  tree = join(root, 'linux');
  cache = join(root, 'cache');
  await writeAll(tree, SOURCES);
  await symlink('madvise.c', join(tree, 'mm', 'link.c'));
  await exec('git', ['init', '-q', tree]);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The copy's dir, as `withCleanCopy` hands it over, with its entries. */
const copyOf = (): Promise<string> => withCleanCopy(tree, 'x86_64', cache, silentLogger, async (dir) => dir);

describe('configuredInPlace', () => {
  it('is Kbuild’s test: a .config, include/config, or generated arch headers', async () => {
    expect(configuredInPlace(tree)).toBe(false);
    await writeAll(tree, { 'arch/x86/include/generated/asm/x.h': '' });
    expect(configuredInPlace(tree)).toBe(true);
    await rm(join(tree, 'arch'), { recursive: true });
    await writeAll(tree, { '.config': '' });
    expect(configuredInPlace(tree)).toBe(true);
  });
});

describe('withCleanCopy', () => {
  beforeEach(() => writeAll(tree, PRODUCTS));

  it('holds the sources as hard links of the tree’s files, without what configuring and building left, nor .git', async () => {
    const dir = await copyOf();
    expect(dir).toBe(cleanCopyOf(tree, cache).dir);
    expect(configuredInPlace(dir)).toBe(false);
    const entries = [...(await snapshot(dir)).keys()];
    for (const rel of Object.keys(PRODUCTS)) expect(entries, rel).not.toContain(rel);
    expect(existsSync(join(dir, '.git'))).toBe(false);
    for (const rel of Object.keys(SOURCES)) expect((await stat(join(dir, rel))).ino, rel).toBe((await stat(join(tree, rel))).ino);
    expect(await readFile(join(dir, 'mm', 'link.c'), 'utf8')).toBe(SOURCES['mm/madvise.c']);
  });

  it('writes nothing into the tree: every entry keeps its inode, size, mtime and bytes', async () => {
    const before = await snapshot(tree);
    await copyOf();
    await copyOf();
    expect(await snapshot(tree)).toEqual(before);
  });

  it('is kept while the tree is unchanged, and made anew when a file of it changes', async () => {
    const dir = await copyOf();
    const marker = await stat(join(cleanCopyOf(tree, cache).root, '.complete'));
    await copyOf();
    expect((await stat(join(cleanCopyOf(tree, cache).root, '.complete'))).ino).toBe(marker.ino);
    const unchanged = (await stat(join(dir, 'kernel', 'sys.c'))).mtimeMs;
    // An editor's save: a new file renamed over the old one.
    await writeFile(join(tree, 'mm', 'madvise.c.new'), 'int madvise_set_anon_name(void) { return 1; }\n');
    await rename(join(tree, 'mm', 'madvise.c.new'), join(tree, 'mm', 'madvise.c'));
    await copyOf();
    expect(await readFile(join(dir, 'mm', 'madvise.c'), 'utf8')).toContain('return 1');
    expect((await stat(join(dir, 'kernel', 'sys.c'))).mtimeMs, 'make sees an unchanged file as unchanged').toBe(unchanged);
    expect(configuredInPlace(dir)).toBe(false);
  });

  it('runs the work holding the copy’s lock, and hands over what it returns', async () => {
    const seen = await withCleanCopy(tree, 'x86_64', cache, silentLogger, async (dir) => {
      expect(existsSync(`${cleanCopyOf(tree, cache).root}.lock`)).toBe(true);
      return readFile(join(dir, 'kernel', 'sys.c'), 'utf8');
    });
    expect(seen).toBe(SOURCES['kernel/sys.c']);
    expect(existsSync(`${cleanCopyOf(tree, cache).root}.lock`)).toBe(false);
  });

  it('stops with E_KERNEL_SOURCE when mrproper fails, leaving no copy behind and the tree as it was', async () => {
    await writeFile(join(tree, 'Makefile'), 'mrproper:\n\tfalse\n');
    const before = await snapshot(tree);
    const error = await copyOf().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VmaspecError);
    expect((error as VmaspecError).code).toBe('E_KERNEL_SOURCE');
    expect((error as VmaspecError).message).toContain('make mrproper failed');
    expect((await readdir(join(cache, 'src'))).filter((n) => !n.endsWith('.mrproper.log'))).toEqual([]);
    expect(await snapshot(tree)).toEqual(before);
  });
});

describe('a tree on another file system than the cache', () => {
  const shm = '/dev/shm';
  const otherFs = existsSync(shm) && (async (): Promise<boolean> => (await stat(shm)).dev !== (await stat(tmpdir())).dev);

  it('is copied (hard links cannot cross), with the same bytes and mtimes, and left as it was', async (ctx) => {
    if (!otherFs || !(await otherFs())) ctx.skip();
    const away = await mkdtemp(join(shm, 'vmaspec-tree-copy-'));
    try {
      const other = join(away, 'linux');
      await writeAll(other, { ...SOURCES, ...PRODUCTS });
      const before = await snapshot(other);
      const dir = await withCleanCopy(other, 'x86_64', cache, silentLogger, async (d) => d);
      expect(configuredInPlace(dir)).toBe(false);
      for (const rel of Object.keys(SOURCES)) {
        const [mine, theirs] = [await stat(join(dir, rel)), await stat(join(other, rel))];
        expect(mine.ino).not.toBe(theirs.ino);
        expect(mine.mtimeMs, rel).toBe(theirs.mtimeMs);
        expect(await readFile(join(dir, rel), 'utf8')).toBe(SOURCES[rel]);
      }
      expect(await snapshot(other)).toEqual(before);
    } finally {
      await rm(away, { recursive: true, force: true });
    }
  });
});
