// Issue 13, bug 1, on Debian's real 6.12 source and the real working copy, through the
// command line: a patch whose hunk in kernel/sys.c applies (prctl(PR_SET_VMA) made to fail
// with EPERM) and whose hunk in mm/mmap.c does not exits 2 with E_PATCH and leaves the
// working copy exactly as it was; the next run with a harmless patch builds a kernel from
// the pristine source plus that patch, and its cases pass (they all failed with EPERM).
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../runner/kernel/cache.js';
import { workingCopyOf } from '../../runner/kernel/series.js';
import { debianSource, type SourceTree } from '../../runner/kernel/source.js';
import { createLogger } from '../../runner/log.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { withLock } from '../../runner/util/lock.js';

const CASE = 'cases/naming/s1-name-middle-page.yaml';
const out = await mkdtemp(join(tmpdir(), 'vmaspec-patch-atomic-'));
afterAll(() => rm(out, { recursive: true, force: true }));

let src: SourceTree;

/** A unified diff of `file` (relative to the tree) from `before` to `after` by diff(1). */
async function diff(file: string, before: string, after: string): Promise<string> {
  await writeFile(join(out, 'a'), before);
  await writeFile(join(out, 'b'), after);
  const r = await execa('diff', ['-u', '--label', `a/${file}`, '--label', `b/${file}`, join(out, 'a'), join(out, 'b')], { reject: false });
  return r.stdout + '\n';
}

/**
 * The files of the working copy that are not the source's (written anew and different), and any
 * .rej/.orig; looked at holding the copy's lock, as a build does: another file's build (the gate's,
 * two test files run at once) may have its series applied meanwhile, and reverses it before it lets go.
 */
async function dirt(): Promise<string[]> {
  const copy = workingCopyOf(src, defaultCacheDir());
  return withLock(copy.root, 'kernel', createLogger({ verbose: false, stream: process.stderr }), () => dirtOf(copy.tree));
}

async function dirtOf(tree: string): Promise<string[]> {
  const own = (await execa('find', ['.', '-links', '1', '!', '-type', 'd', '-printf', '%P\\n'], { cwd: tree })).stdout.split('\n').filter(Boolean);
  const bad: string[] = [];
  for (const rel of own) {
    const r = await execa('cmp', ['-s', join(tree, rel), join(src.dir, rel)], { reject: false });
    if (r.exitCode !== 0) bad.push(rel);
  }
  const rejects = (await execa('find', ['.', '-name', '*.rej', '-o', '-name', '*.orig'], { cwd: tree })).stdout.split('\n').filter(Boolean);
  return [...bad, ...rejects];
}

const vmaspec = (args: string[]) => execa('node', [join(repoRoot, 'runner/bin/vmaspec.js'), 'run', '--no-color', ...args, CASE], { cwd: repoRoot, reject: false, all: true });

beforeAll(async () => {
  src = await debianSource('6.12', defaultCacheDir(), createLogger({ verbose: false, stream: process.stderr }));
}, 10 * 60_000);

describe('a patch that applies only partly', () => {
  it('exits 2 with E_PATCH and leaves the working copy as it was; a harmless patch after it passes', async () => {
    const sys = await readFile(join(src.dir, 'kernel/sys.c'), 'utf8');
    const mmap = await readFile(join(src.dir, 'mm/mmap.c'), 'utf8');
    const call = '\t\terror = prctl_set_vma(arg2, arg3, arg4, arg5);';
    expect(sys).toContain(call);
    const region = 'unsigned long mmap_region(struct file *file, unsigned long addr,';
    expect(mmap).toContain(region);
    // kernel/sys.c applies; mm/mmap.c removes a line the file does not have.
    const partly = (await diff('kernel/sys.c', sys, sys.replace(call, '\t\terror = -EPERM;'))) + (await diff('mm/mmap.c', mmap.replace(region, `${region} /* not in 6.12 */`), mmap.replace(region, `${region} /* changed */`)));
    await writeFile(join(out, 'partly.patch'), partly);
    const harmless = await diff('mm/mmap.c', mmap, mmap.replace(region, `/* harmless */\n${region}`));
    await writeFile(join(out, 'harmless.patch'), harmless);

    expect(await dirt()).toEqual([]);
    const bad = await vmaspec(['--patch', join(out, 'partly.patch')]);
    expect(bad.exitCode, bad.all).toBe(2);
    expect(bad.all).toMatch(/vmaspec: E_PATCH: patch 1\/1 \(.*partly\.patch\) does not apply to debian:6\.12; the working copy is left as it was/);
    expect(await dirt()).toEqual([]);

    const good = await vmaspec(['--patch', join(out, 'harmless.patch')]);
    expect(good.exitCode, good.all).toBe(0);
    expect(good.all).toMatch(/PASS\s+naming\/s1-name-middle-page/);
    expect(await dirt()).toEqual([]);
  }, 20 * 60_000);
});
