// Patch series are atomic in the working copy (issue 13, bug 1): a series that does not
// apply fully leaves the copy exactly as it was, and a copy that differs from its source
// (a hunk left behind, a hand edit) is put back before anything is built in it. Real
// GNU patch on a small synthetic tree with the files of the reproduction.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { silentLogger } from '../../runner/log.js';
import { withSeriesApplied, workingCopy, type SeriesPatch, type WorkingCopy } from '../../runner/kernel/series.js';
import type { SourceTree } from '../../runner/kernel/source.js';

const SYS_C = ['#include <linux/prctl.h>', '', 'static int prctl_set_vma(unsigned long opt)', '{', '\tif (opt != PR_SET_VMA_ANON_NAME)', '\t\treturn -EINVAL;', '\treturn 0;', '}', ''].join('\n');
const MMAP_C = ['#include <linux/mm.h>', '', 'int vma_merge_ok(struct vm_area_struct *a)', '{', '\treturn anon_vma_name_eq(a);', '}', ''].join('\n');

/** A hunk that makes prctl(PR_SET_VMA) fail with EPERM, and one for mm/mmap.c whose context is not in the file. */
const PARTLY = `--- a/kernel/sys.c
+++ b/kernel/sys.c
@@ -4,5 +4,5 @@
 {
 \tif (opt != PR_SET_VMA_ANON_NAME)
 \t\treturn -EINVAL;
-\treturn 0;
+\treturn -EPERM;
 }
--- a/mm/mmap.c
+++ b/mm/mmap.c
@@ -3,4 +3,4 @@
 int vma_merge_ok(struct vm_area_struct *a)
 {
-\treturn anon_vma_name_eq_NOT_THERE(a);
+\treturn 1;
 }
`;

/** Harmless: a comment in mm/mmap.c. */
const HARMLESS = `--- a/mm/mmap.c
+++ b/mm/mmap.c
@@ -1,2 +1,3 @@
 #include <linux/mm.h>
+/* harmless */
 
`;

/** Adds a file and deletes one (mm/mmap.c), applies fully. */
const ADD_DELETE = `--- /dev/null
+++ b/mm/new.c
@@ -0,0 +1 @@
+int added;
--- a/mm/mmap.c
+++ /dev/null
@@ -1,6 +0,0 @@
-#include <linux/mm.h>
-
-int vma_merge_ok(struct vm_area_struct *a)
-{
-\treturn anon_vma_name_eq(a);
-}
`;

const patchOf = (label: string, text: string): SeriesPatch => ({ label, text: Buffer.from(text) });

/** Every file under `dir` (names relative to it) with its bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out.set(relative(dir, full), await readFile(full, 'utf8'));
  }
  return out;
}

let root: string;
let base: SourceTree;
let copy: WorkingCopy;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-series-'));
  const dir = join(root, 'pristine', 'linux-source-6.12');
  await mkdir(join(dir, 'kernel'), { recursive: true });
  await mkdir(join(dir, 'mm'), { recursive: true });
  await writeFile(join(dir, 'Makefile'), 'VERSION = 6\n');
  await writeFile(join(dir, 'kernel', 'sys.c'), SYS_C);
  await writeFile(join(dir, 'mm', 'mmap.c'), MMAP_C);
  base = { dir, identity: `test:${root}`, label: 'test-source' };
  copy = await workingCopy(base, join(root, 'cache'), silentLogger);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('withSeriesApplied', () => {
  it('leaves the working copy exactly as it was when a hunk of the series does not apply', async () => {
    const before = await snapshot(copy.tree);
    let ran = false;
    const error = await withSeriesApplied(copy, [patchOf('partly.patch', PARTLY)], base.label, silentLogger, async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VmaspecError);
    expect((error as VmaspecError).code).toBe('E_PATCH');
    expect((error as VmaspecError).message).toContain('partly.patch');
    expect(ran).toBe(false);
    // Byte-identical, and no .rej or .orig beside the files.
    expect(await snapshot(copy.tree)).toEqual(before);
    expect(await readdir(copy.root)).toEqual(['.complete', 'linux-source-6.12']);
  });

  it('reverses the patches before the one that does not apply, whatever they added or deleted', async () => {
    const before = await snapshot(copy.tree);
    const error = await withSeriesApplied(copy, [patchOf('0001-add-delete.patch', ADD_DELETE), patchOf('0002-partly.patch', PARTLY)], base.label, silentLogger, async () => undefined).catch((e: unknown) => e);
    expect((error as VmaspecError).code).toBe('E_PATCH');
    expect((error as VmaspecError).message).toContain('patch 2/2');
    expect(await snapshot(copy.tree)).toEqual(before);
  });

  it('builds the next series on the pristine source: a hunk an earlier run left behind is put back first', async () => {
    // What the old code left: kernel/sys.c with the EPERM hunk, no journal entry for it.
    const sys = join(copy.tree, 'kernel', 'sys.c');
    await unlink(sys); // GNU patch writes a new file (the hard link to the source breaks)
    await writeFile(sys, SYS_C.replace('return 0;', 'return -EPERM;'));
    await writeFile(join(copy.tree, 'mm', 'mmap.c.rej'), 'a reject\n');
    const seen = await withSeriesApplied(copy, [patchOf('harmless.patch', HARMLESS)], base.label, silentLogger, async () => snapshot(copy.tree));
    expect(seen.get('kernel/sys.c')).toBe(SYS_C);
    expect(seen.get('mm/mmap.c')).toBe(MMAP_C.replace('#include <linux/mm.h>\n', '#include <linux/mm.h>\n/* harmless */\n'));
    expect(seen.has('mm/mmap.c.rej')).toBe(false);
    // And reversed after: the copy is the source again.
    expect(await snapshot(copy.tree)).toEqual(await snapshot(base.dir));
  });

  it('puts back a file deleted from the working copy, with a new mtime so make recompiles it', async () => {
    const file = join(copy.tree, 'mm', 'mmap.c');
    const old = (await stat(file)).mtimeMs;
    await unlink(file);
    await new Promise((r) => setTimeout(r, 20));
    await withSeriesApplied(copy, [], base.label, silentLogger, async () => {
      expect(existsSync(file)).toBe(true);
    });
    expect(await readFile(file, 'utf8')).toBe(MMAP_C);
    expect((await stat(file)).mtimeMs).toBeGreaterThan(old);
  });
});
