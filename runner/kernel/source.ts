// Kernel source: Debian's linux-source tarball extracted into the cache, a
// user's tree, and pristine copies with a patch series applied.
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '../qemu/arch.js';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { withLock } from '../util/lock.js';
import { contentKey } from './cache.js';
import { cacheWriteError } from './cache-faults.js';
import { fillAtomically } from './partial.js';
import { readSeries } from './series.js';
import type { SourceTree } from './types.js';

/** What the functions below return (defined with the kernel stage's types). */
export type { SourceTree };

/** The tarball of Debian's linux-source-<version> package. */
export const debianTarball = (version: string): string => `/usr/src/linux-source-${version}.tar.xz`;

const BOOTSTRAP = join(repoRoot, 'runner/setup/bootstrap.mjs');

/** The installed version of linux-source-<version>; installed first (by set-up, as root) when missing. */
async function debianPackageVersion(version: string, log: Logger): Promise<string> {
  const pkg = `linux-source-${version}`;
  const query = async (): Promise<string> => (await run('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Version}', pkg], { log })).trim();
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

/** Extracts the tarball once into `<cache>/src/debian-<version>-<package version>`. */
export async function debianSource(version: string, cacheDir: string, log: Logger): Promise<SourceTree> {
  const pkg = await debianPackageVersion(version, log);
  const tarball = debianTarball(version);
  if (!existsSync(tarball)) throw new VmaspecError('E_KERNEL_SOURCE', `${tarball} is missing although linux-source-${version} is installed`);
  const dir = join(cacheDir, 'src', `debian-${version}-${pkg}`);
  const tree = join(dir, `linux-source-${version}`);
  const identity = `debian:${version}:${pkg}`;
  await extractOnce(dir, log, async (partial) => {
    log.info(`kernel: extracting ${tarball} (${pkg}) into the cache`);
    await run('tar', ['-xf', tarball, '-C', partial], { log });
    await readFile(join(partial, `linux-source-${version}`, 'Makefile')); // proves the layout
  });
  return { dir: tree, identity, label: `debian:${version}` };
}

/** Fills `dir` once (under its lock, through a partial dir renamed at the end); later calls find it complete. */
async function extractOnce(dir: string, log: Logger, fill: (partial: string) => Promise<void>): Promise<void> {
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

/** One commit of a git repository, exported once (`git archive`) into `<cache>/src/git-<commit>`. */
export async function gitSource(repo: string, rev: string, cacheDir: string, log: Logger): Promise<SourceTree> {
  const commit = await gitCommit(resolve(repo), rev, log);
  const dir = join(cacheDir, 'src', `git-${commit.slice(0, 16)}`);
  const tree = join(dir, 'linux');
  await extractOnce(dir, log, async (partial) => {
    await mkdir(join(partial, 'linux'));
    log.info(`kernel: exporting ${rev} (${commit.slice(0, 12)}) of ${repo} into the cache`);
    await run('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', resolve(repo), commit, join(partial, 'linux')], { log });
    if (!existsSync(join(partial, 'linux', 'Makefile'))) throw new VmaspecError('E_KERNEL_SOURCE', `${repo} at ${rev} is not a Linux source tree (no Makefile)`);
  });
  return { dir: tree, identity: `git:${commit}`, label: `git:${commit.slice(0, 12)} (${rev})` };
}

async function writeMarker(path: string): Promise<void> {
  await writeFile(path, `${new Date().toISOString()}\n`);
}

/** A user's tree: must be a kernel tree and clean (Kbuild refuses O= builds of a configured tree). */
export async function userTree(path: string, log: Logger): Promise<SourceTree> {
  const dir = resolve(path);
  if (!existsSync(join(dir, 'Makefile')) || !existsSync(join(dir, 'mm', 'madvise.c'))) {
    throw new VmaspecError('E_KERNEL_SOURCE', `${path} is not a Linux source tree (no Makefile and mm/madvise.c)`);
  }
  if (existsSync(join(dir, '.config')) || existsSync(join(dir, 'include', 'config'))) {
    throw new VmaspecError('E_KERNEL_SOURCE', `${path} has been configured in place; vmaspec builds out of tree and needs it clean`, {
      details: [`run: make -C ${path} mrproper`],
    });
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

/** A pristine copy of `base` with the patches applied in order, cached by their content. */
export async function patchedSource(base: SourceTree, patches: string[], cacheDir: string, log: Logger): Promise<SourceTree> {
  const texts = (await readSeries(patches)).map((p) => p.text);
  const key = contentKey([base.identity, ...texts]);
  const dir = join(cacheDir, 'src', `patched-${key}`);
  const label = `${base.label} + ${patches.length} patch${patches.length === 1 ? '' : 'es'}`;
  const identity = `${base.identity}+patches:${key}`;
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
