// A kernel developer's own tree (issue 16): Debian's 6.12 source made a git repository,
// configured with `make defconfig` plus an option of the developer's (LOCALVERSION), once in
// a separate build dir (`--kernel-build`, as O=) and once in place. `vmaspec run --kernel-tree`
// runs the suite on it: the developer's .config is the base, vmaspec prints each option it
// changed, the kernel (no CONFIG_PVH in defconfig) boots as a bzImage on -M pc, and nothing
// in the tree or their build dir is written (git status, and every file's inode, size and
// mtime). Two whole defconfig builds (the first took over 70 min on 2 shared cores): it runs only with
// VMASPEC_KERNEL_TREE=1 (`npm run test:kernel-tree`). VMASPEC_KERNEL_TREE_WORK=DIR keeps
// the tree, build dir and logs there.
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianTarball } from '../../runner/kernel/source.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import type { RunReport } from '../../runner/report/types.js';

const enabled = process.env.VMASPEC_KERNEL_TREE === '1';
const HOURS = 60 * 60_000;
/** Reading a whole tree's state (git status, ~90,000 paths) took over 20 s on a loaded 2-core machine. */
const STATE_MS = 10 * 60_000;

/** The tree's state as git and the file system see it: `git status` with ignored files, and every path's inode, size and mtime. */
async function state(dir: string, git: boolean): Promise<string> {
  const status = git ? (await execa('git', ['-C', dir, 'status', '--porcelain', '--ignored'])).stdout : '';
  const files = (await execa('find', ['.', '-path', './.git', '-prune', '-o', '-printf', '%i %s %T@ %p\n'], { cwd: dir })).stdout.split('\n').sort().join('\n');
  return `${status}\n--\n${files}`;
}

/** One `vmaspec run` as a developer types it: its report, output (kept in `log`), exit status and time. */
async function vmaspecRun(args: string[], json: string, log: string): Promise<{ report: RunReport; output: string; exitCode: number; seconds: number }> {
  const started = performance.now();
  const r = await execa('node', [join(repoRoot, 'runner/bin/vmaspec.js'), 'run', ...args, '--json', json, '--no-color'], { cwd: repoRoot, reject: false, all: true });
  const seconds = Math.round((performance.now() - started) / 1000);
  await writeFile(log, `${r.all ?? ''}\n# exit ${r.exitCode}, ${seconds} s\n`);
  process.stderr.write(`kernel-tree: vmaspec run ${args.join(' ')}: exit ${r.exitCode} in ${seconds} s (log: ${log})\n`);
  return { report: JSON.parse(await readFile(json, 'utf8')) as RunReport, output: r.all ?? '', exitCode: r.exitCode ?? -1, seconds };
}

describe.skipIf(!enabled)('run --kernel-tree: Debian 6.12 with make defconfig and a developer’s option', () => {
  let work: string;
  let tree: string;
  const make = (args: string[]): Promise<unknown> => execa('make', ['-C', tree, '-s', ...args]);
  const developerOption = (config: string): Promise<unknown> => execa(join(tree, 'scripts/config'), ['--file', config, '--set-str', 'LOCALVERSION', '-dev']);

  beforeAll(async () => {
    work = process.env.VMASPEC_KERNEL_TREE_WORK ?? (await mkdtemp(join(tmpdir(), 'vmaspec-kernel-tree-')));
    tree = join(work, 'linux-source-6.12');
    await rm(tree, { recursive: true, force: true });
    await execa('tar', ['-xf', debianTarball('6.12'), '-C', work]);
    // Debian's .gitignore ignores everything at the top level (its packaging repository holds
    // only debian/); a developer's tree has the kernel's own: its Debian stanza goes.
    const gitignore = await readFile(join(tree, '.gitignore'), 'utf8');
    await writeFile(join(tree, '.gitignore'), gitignore.slice(0, gitignore.indexOf('#\n# Debian packaging')));
    // No automatic gc after the commit: it would repack ~90000 objects beside the build.
    const git = (args: string[]) => execa('git', ['-C', tree, '-c', 'user.name=developer', '-c', 'user.email=developer@localhost', '-c', 'gc.auto=0', ...args]);
    await git(['init', '-q']);
    await git(['add', '-A', '-f']);
    await git(['commit', '-q', '-m', 'Debian linux-source-6.12']);
  }, HOURS);

  afterAll(async () => {
    if (!process.env.VMASPEC_KERNEL_TREE_WORK) await rm(work, { recursive: true, force: true });
  });

  /** What each of the two runs must show. */
  function expectDeveloperKernel(run: Awaited<ReturnType<typeof vmaspecRun>>, config: string): void {
    expect(run.report.kernel.release, 'the developer’s .config is the base').toMatch(/^6\.12\.\d+-dev/);
    expect(run.output).toContain(`vmaspec changed `);
    expect(run.output).toContain(`option(s) of ${config} for the guest and the cases`);
    expect(run.output).toMatch(/^kernel: {3}CONFIG_ANON_VMA_NAME: n → y, needed by kernel-config\/vma\.config:\d+$/m);
    expect(run.output).toMatch(/^qemu: .* has no CONFIG_PVH: booting bzImage on -M pc \(qemu\/x86_64-pc\.yaml\)$/m);
    const unsound = run.report.cases.filter((c) => ['broken', 'crashed', 'splat'].includes(c.verdict));
    expect(unsound.map((c) => `${c.id}: ${c.verdict}`)).toEqual([]);
    expect(run.report.summary.pass).toBeGreaterThan(run.report.summary.total / 2);
  }

  describe('in a separate build dir (--kernel-build)', () => {
    let before: string;
    let run: Awaited<ReturnType<typeof vmaspecRun>>;
    let build: string;

    beforeAll(async () => {
      build = join(work, 'build');
      await rm(build, { recursive: true, force: true });
      await mkdir(build);
      await make([`O=${build}`, 'defconfig']);
      await developerOption(join(build, '.config'));
      await make([`O=${build}`, 'olddefconfig']);
      before = `${await state(tree, true)}\n${await state(build, false)}`;
      run = await vmaspecRun(['--kernel-tree', tree, '--kernel-build', build], join(work, 'build-dir.json'), join(work, 'build-dir.log'));
    }, 2 * HOURS);

    it('runs the suite on the developer’s configuration, printing what vmaspec changed', () => expectDeveloperKernel(run, join(build, '.config')));

    it('writes nothing into the tree or the build dir', async () => {
      expect(`${await state(tree, true)}\n${await state(build, false)}`).toBe(before);
    }, STATE_MS);
  });

  describe('configured in place', () => {
    let before: string;
    let run: Awaited<ReturnType<typeof vmaspecRun>>;

    beforeAll(async () => {
      await make(['defconfig']);
      await developerOption(join(tree, '.config'));
      await make(['olddefconfig']);
      before = await state(tree, true);
      run = await vmaspecRun(['--kernel-tree', tree], join(work, 'in-place.json'), join(work, 'in-place.log'));
    }, 2 * HOURS);

    it('runs the suite on the developer’s configuration, printing what vmaspec changed', () => expectDeveloperKernel(run, join(tree, '.config')));

    it('writes nothing into the tree: git status and every file are as they were', async () => {
      expect(await state(tree, true)).toBe(before);
      const untracked = (await execa('git', ['-C', tree, 'status', '--porcelain'])).stdout;
      expect(untracked).toBe('');
    }, STATE_MS);
  });
});
