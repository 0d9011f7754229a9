// `vmaspec kernel key` (issue 16): the key a kernel is kept under, found without building,
// extracting or writing anything, follows what the kernel is built from (the commit, the
// patches' text, the fragments) and nothing else; and `gate --build-only` refuses the options
// of a run. That it is the key `kernel build` keeps the kernel under is checked on a real
// build by test/integration/ci-handoff.test.ts.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelKey } from '../../runner/kernel/build.js';
import { buildKernelRequest, type KernelOptions } from '../../runner/kernel/request.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot, type ArchSpec } from '../../runner/qemu/arch.js';

const exec = promisify(execFile);
const log = createLogger({ verbose: false, stream: process.stderr });
const dir = await mkdtemp(join(tmpdir(), 'vmaspec-key-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const repo = join(dir, 'linux');
const cache = join(dir, 'cache');
const git = (...args: string[]): Promise<{ stdout: string }> => exec('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args]);
let spec: ArchSpec;
let first: string;

const key = (options: KernelOptions): Promise<string> => kernelKey(buildKernelRequest({ cacheDir: cache, ...options }, spec), log);

beforeAll(async () => {
  spec = await loadArch('x86_64');
  await exec('git', ['init', '-q', repo]);
  await writeFile(join(repo, 'Makefile'), 'all:\n');
  await git('add', 'Makefile');
  await git('commit', '-q', '-m', 'one');
  first = (await git('rev-parse', 'HEAD')).stdout.trim();
  await writeFile(join(repo, 'Makefile'), 'all:\n\ttrue\n');
  await git('commit', '-q', '-am', 'two');
  await writeFile(join(dir, 'a.patch'), 'a change\n');
  await writeFile(join(dir, 'same-text.patch'), 'a change\n');
  await writeFile(join(dir, 'b.patch'), 'another change\n');
  await writeFile(join(dir, 'extra.config'), 'CONFIG_MEMFD_CREATE=y\n');
});

describe('kernel key', () => {
  it('follows the commit, the patches by their text and the fragments, and writes nothing', async () => {
    const head = await key({ git: { repo, rev: 'HEAD' } });
    expect(await key({ git: { repo, rev: 'HEAD' } })).toBe(head);
    expect(await key({ git: { repo, rev: first } })).not.toBe(head);
    const patched = await key({ git: { repo, rev: 'HEAD' }, patches: [join(dir, 'a.patch')] });
    expect(patched).not.toBe(head);
    expect(await key({ git: { repo, rev: 'HEAD' }, patches: [join(dir, 'same-text.patch')] })).toBe(patched);
    expect(await key({ git: { repo, rev: 'HEAD' }, patches: [join(dir, 'b.patch')] })).not.toBe(patched);
    expect(await key({ git: { repo, rev: 'HEAD' }, kconfig: [join(dir, 'extra.config')] })).not.toBe(head);
    // The command's bundle (`cli/`, when the test of the command ran first) is all the cache may hold.
    expect((await readdir(cache).catch(() => [] as string[])).filter((n) => n !== 'cli')).toEqual([]);
  });

  it('is what `vmaspec kernel key` prints', async () => {
    const printed = await exec('node', [join(repoRoot, 'runner/bin/vmaspec.js'), 'kernel', 'key', '--kernel', `git:${repo}@HEAD`, '--patch', join(dir, 'a.patch')], { env: { ...process.env, VMASPEC_CACHE: cache } });
    expect(printed.stdout).toBe(`${await key({ git: { repo, rev: 'HEAD' }, patches: [join(dir, 'a.patch')] })}\n`);
  });
});

describe('kernel key of a developer’s tree', () => {
  /** A tree as userTree accepts it, configured in place with `text` as its .config. */
  async function configuredTree(name: string, text: string): Promise<string> {
    const tree = join(dir, name);
    await mkdir(join(tree, 'mm'), { recursive: true });
    await writeFile(join(tree, 'Makefile'), 'all:\n');
    await writeFile(join(tree, 'mm', 'madvise.c'), '');
    await writeFile(join(tree, '.config'), text);
    return tree;
  }

  it('follows the .config it starts from (the tree’s own, or --kernel-config), makes no copy, and writes nothing', async () => {
    const tree = await configuredTree('dev', 'CONFIG_SMP=y\n');
    const own = await key({ tree });
    expect(await key({ tree })).toBe(own);
    expect(await key({ tree, config: join(dir, 'extra.config') })).not.toBe(own);
    await writeFile(join(tree, '.config'), 'CONFIG_SMP=n\n');
    expect(await key({ tree })).not.toBe(own);
    expect(await key({ tree, inBuildDir: true })).not.toBe(await key({ tree }));
    // The command's bundle (`cli/`, from the test of the command) is all the cache holds: no source copy, no build dir.
    expect((await readdir(cache).catch(() => [] as string[])).filter((n) => n !== 'cli')).toEqual([]);
  });

  it('stops when --kernel-build has no .config', async () => {
    const tree = await configuredTree('dev2', '');
    const build = join(dir, 'empty-build');
    await mkdir(build);
    await expect(key({ tree, build })).rejects.toThrow(`--kernel-build ${build} has no .config`);
  });
});

describe('gate --build-only', () => {
  it('refuses the options of a run: it runs no case', async () => {
    for (const args of [['--json', 'g.json'], ['--shard', '1/2'], ['cases/errors']]) {
      const bad = await exec('node', [join(repoRoot, 'runner/bin/vmaspec.js'), 'gate', '--build-only', ...args]).catch((e: { code: number; stderr: string }) => e);
      expect('code' in bad && bad.code, args.join(' ')).toBe(2);
      expect((bad as { stderr: string }).stderr).toContain(`gate --build-only runs no case, so it takes no ${args[0]!.startsWith('--') ? args[0] : 'case paths'}`);
    }
  });
});
