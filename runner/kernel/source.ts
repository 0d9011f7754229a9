// Kernel source: Debian's linux-source tarball extracted into the cache, a
// developer's tree, and pristine copies with a patch series applied.
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '../qemu/arch.js';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { toolAnswer } from '../util/tool-answer.js';
import { withLock } from '../util/lock.js';
import { contentKey } from './cache.js';
import { cacheWriteError } from './cache-faults.js';
import { fillAtomically } from './partial.js';
import { readSeries } from './series.js';
import type { KernelSource, SourceTree } from './types.js';

/** What the functions below return (defined with the kernel stage's types). */
export type { SourceTree };

/** The tarball of Debian's linux-source-<version> package. */
export const debianTarball = (version: string): string => `/usr/src/linux-source-${version}.tar.xz`;

const BOOTSTRAP = join(repoRoot, 'runner/setup/bootstrap.mjs');

/** dpkg's database (the status file, and the journal of an install under way): the key of dpkg-query's answers. */
const DPKG_DATABASE = ['/var/lib/dpkg/status', '/var/lib/dpkg/updates'];

/** The installed version of linux-source-<version>; installed first (by set-up, as root) when missing. dpkg's answer is kept in the cache when `keep`. */
export async function debianPackageVersion(version: string, cacheDir: string, keep: boolean, log: Logger): Promise<string> {
  const pkg = `linux-source-${version}`;
  const question = { command: 'dpkg-query', args: ['-W', '-f', '${db:Status-Status} ${Version}', pkg], files: DPKG_DATABASE };
  const query = (): Promise<string> => toolAnswer(cacheDir, question, async () => (await run(question.command, question.args, { log })).trim(), keep);
  const installed = async (): Promise<string | null> => {
    const [status, v] = (await query().catch(() => '')).split(' ');
    return status === 'installed' && v ? v : null;
  };
  const have = await installed();
  if (have) return have;
  log.info(`kernel: ${pkg} is not installed; installing it (runner/setup/bootstrap.mjs --package ${pkg})`);
  await run(process.execPath, [BOOTSTRAP, '--package', pkg], { log }).catch((cause: unknown) => {
    throw new VmaspecError('E_KERNEL_SOURCE', `Debian package ${pkg} is not installed and could not be installed`, {
      cause,
      details: [...((cause as { all?: string }).all ?? '').trim().split('\n').slice(-5), `install it: apt-get install --no-install-recommends ${pkg}`],
    });
  });
  const now = await installed();
  if (!now) throw new VmaspecError('E_KERNEL_SOURCE', `Debian package ${pkg} is still not installed`, { details: [`install it: apt-get install --no-install-recommends ${pkg}`] });
  return now;
}

/** Where Debian's linux-source-<version> of package version `pkg` is extracted in the cache, and its identity. */
function debianTreeOf(version: string, pkg: string, cacheDir: string): SourceTree {
  const dir = join(cacheDir, 'src', `debian-${version}-${pkg}`);
  return { dir: join(dir, `linux-source-${version}`), identity: `debian:${version}:${pkg}`, label: `debian:${version}` };
}

/** Extracts the tarball once into `<cache>/src/debian-<version>-<package version>`. */
export async function debianSource(version: string, cacheDir: string, log: Logger): Promise<SourceTree> {
  const pkg = await debianPackageVersion(version, cacheDir, true, log);
  const tarball = debianTarball(version);
  if (!existsSync(tarball)) throw new VmaspecError('E_KERNEL_SOURCE', `${tarball} is missing although linux-source-${version} is installed`);
  const tree = debianTreeOf(version, pkg, cacheDir);
  await extractOnce(dirname(tree.dir), log, async (partial) => {
    log.info(`kernel: extracting ${tarball} (${pkg}) into the cache`);
    // Debian's tarball is xz in 62 blocks: xz decompresses them on every core (7-8 s against 12-13 s for one, here).
    await run('tar', ['--use-compress-program=xz -T0', '-xf', tarball, '-C', partial], { log });
    await readFile(join(partial, `linux-source-${version}`, 'Makefile')); // proves the layout
  });
  return tree;
}

/** Fills `dir` once (under its lock, through a partial dir renamed at the end); later calls find it complete. */
export async function extractOnce(dir: string, log: Logger, fill: (partial: string) => Promise<void>): Promise<void> {
  if (existsSync(join(dir, '.complete'))) return;
  await mkdir(dirname(dir), { recursive: true });
  await withLock(dir, 'kernel', log, async () => {
    if (existsSync(join(dir, '.complete'))) return;
    await fillAtomically(dir, async (partial) => {
      await fill(partial);
      await writeMarker(join(partial, '.complete'));
    });
  });
}

/** The full commit id of `rev` in `repo`; E_KERNEL_SOURCE when there is none. */
export async function gitCommit(repo: string, rev: string, log: Logger): Promise<string> {
  try {
    return (await run('git', ['-C', repo, 'rev-parse', '--verify', `${rev}^{commit}`], { log })).trim();
  } catch (cause) {
    throw new VmaspecError('E_KERNEL_SOURCE', `${repo}: no commit "${rev}"`, { cause, details: ['give a branch, tag or commit id of that repository'] });
  }
}

/** Where commit `commit` (asked for as `rev`) of a git repository is exported in the cache, and its identity. */
function gitTreeOf(commit: string, rev: string, cacheDir: string): SourceTree {
  return { dir: join(cacheDir, 'src', `git-${commit.slice(0, 16)}`, 'linux'), identity: `git:${commit}`, label: `git:${commit.slice(0, 12)} (${rev})` };
}

/** One commit of a git repository, exported once (`git archive`) into `<cache>/src/git-<commit>`. */
export async function gitSource(repo: string, rev: string, cacheDir: string, log: Logger): Promise<SourceTree> {
  const commit = await gitCommit(resolve(repo), rev, log);
  const tree = gitTreeOf(commit, rev, cacheDir);
  await extractOnce(dirname(tree.dir), log, async (partial) => {
    await mkdir(join(partial, 'linux'));
    log.info(`kernel: exporting ${rev} (${commit.slice(0, 12)}) of ${repo} into the cache`);
    await run('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', resolve(repo), commit, join(partial, 'linux')], { log });
    if (!existsSync(join(partial, 'linux', 'Makefile'))) throw new VmaspecError('E_KERNEL_SOURCE', `${repo} at ${rev} is not a Linux source tree (no Makefile)`);
  });
  return tree;
}

/** A kernel source that vmaspec builds: every kind but a prebuilt image and the running kernel. */
export type BuildableSource = Exclude<KernelSource, { kind: 'image' | 'debian-image' | 'host' }>;

/** Where a source is (or will be) in the cache and its identity, without extracting, exporting or writing anything (a cache key needs no more). */
export async function locateSource(source: BuildableSource, cacheDir: string, log: Logger): Promise<SourceTree> {
  switch (source.kind) {
    case 'debian':
      return debianTreeOf(source.version, await debianPackageVersion(source.version, cacheDir, false, log), cacheDir);
    case 'git':
      return gitTreeOf(await gitCommit(resolve(source.repo), source.rev, log), source.rev, cacheDir);
    case 'tree':
      return userTree(source.path, log);
  }
}

/** The source ready for make: Debian's tarball extracted or a commit exported into the cache (once), a user's tree checked. */
export async function sourceTree(source: BuildableSource, cacheDir: string, log: Logger): Promise<SourceTree> {
  switch (source.kind) {
    case 'debian':
      return debianSource(source.version, cacheDir, log);
    case 'git':
      return gitSource(source.repo, source.rev, cacheDir, log);
    case 'tree':
      return userTree(source.path, log);
  }
}

async function writeMarker(path: string): Promise<void> {
  await writeFile(path, `${new Date().toISOString()}\n`);
}

/** A developer's tree (clean, or configured in place: runner/kernel/tree-copy.ts builds a clean copy of it). */
export async function userTree(path: string, log: Logger): Promise<SourceTree> {
  const dir = resolve(path);
  if (!existsSync(join(dir, 'Makefile')) || !existsSync(join(dir, 'mm', 'madvise.c'))) {
    throw new VmaspecError('E_KERNEL_SOURCE', `${path} is not a Linux source tree (no Makefile and mm/madvise.c)`);
  }
  // The identity follows the tree's content: git HEAD plus the uncommitted diff, when it is a git tree.
  let identity = `tree:${dir}`;
  if (existsSync(join(dir, '.git'))) {
    const head = await run('git', ['-C', dir, 'rev-parse', 'HEAD'], { log });
    const diff = await run('git', ['-C', dir, 'diff', 'HEAD'], { log });
    identity += `:${head.trim()}:${contentKey([diff])}`;
  } else {
    identity += `:${(await stat(dir)).mtimeMs}`;
  }
  return { dir, identity, label: `tree:${path}` };
}

/** Where the pristine copy of `base` with these patch texts applied is kept, and its identity. */
export function patchedTree(base: SourceTree, texts: Buffer[], cacheDir: string): SourceTree {
  const key = contentKey([base.identity, ...texts]);
  return { dir: join(cacheDir, 'src', `patched-${key}`), identity: `${base.identity}+patches:${key}`, label: `${base.label} + ${texts.length} patch${texts.length === 1 ? '' : 'es'}` };
}

/** A pristine copy of `base` with the patches applied in order, cached by their content. */
export async function patchedSource(base: SourceTree, patches: string[], cacheDir: string, log: Logger): Promise<SourceTree> {
  const { dir, identity, label } = patchedTree(base, (await readSeries(patches)).map((p) => p.text), cacheDir);
  const done = join(dir, '.vmaspec-complete');
  if (existsSync(done)) return { dir, identity, label };
  await mkdir(join(cacheDir, 'src'), { recursive: true });
  await withLock(dir, 'kernel', log, async () => {
    if (existsSync(done)) return;
    // A hard-linked copy is instant and costs no space; it is safe because GNU
    // patch writes each patched file anew (breaking the link), Kbuild writes
    // nothing into the source with O=, and the pristine files are never edited.
    // The copy is thrown away when a patch does not apply.
    await fillAtomically(dir, async (partial) => {
      log.info(`kernel: linking a copy of the pristine source to apply ${patches.length} patch(es)`);
      await run('cp', ['-al', `${base.dir}/.`, partial], { log });
      for (const [i, patch] of patches.entries()) {
        log.info(`kernel: applying ${patch}`);
        try {
          await run('patch', ['-p1', '--forward', '--batch', '--no-backup-if-mismatch', '--reject-file=-', '-i', resolve(patch)], { cwd: partial, log });
        } catch (cause) {
          throw (
            (await cacheWriteError(cause, dirname(dir))) ??
            new VmaspecError('E_PATCH', `patch ${i + 1}/${patches.length} (${patch}) does not apply to ${base.label}`, {
              cause,
              details: ((cause as { all?: string }).all ?? '').trimEnd().split('\n').slice(-15),
            })
          );
        }
      }
      await writeMarker(join(partial, '.vmaspec-complete'));
    });
  });
  return { dir, identity, label };
}
