// Turns kernel options (from the command line or a test) into a KernelRequest with sane defaults.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { ArchSpec } from '../qemu/arch.js';
import { repoRoot } from '../qemu/arch.js';
import { defaultCacheDir } from './cache.js';
import type { KernelRequest, KernelSource } from './types.js';

export interface KernelOptions {
  patches?: string[];
  tree?: string;
  image?: string;
  /** The `.config` of `image` (default: `.config` beside it). */
  imageConfig?: string;
  /** The version of Debian's linux-source package to build (default 6.12). */
  debian?: string;
  /** A commit of a git repository as the source (`--git REPO` with a revision). */
  git?: { repo: string; rev: string };
  /** The kernel this machine runs (`--kernel host`): no source, no build, no guest. */
  host?: boolean;
  /** Extra fragments after kernel-config/'s. */
  kconfig?: string[];
  /** Profiles: kernel-config/profiles/NAME.config, after the defaults and before `kconfig`. */
  profiles?: string[];
  cacheDir?: string;
  jobs?: number;
}

/** The kernel vmaspec builds when none is named. */
export const DEFAULT_DEBIAN = '6.12';

/** The absolute path of a file the command line names; E_USAGE naming the flag and the path when it is not a readable file. */
function givenFile(flag: string, path: string, note = ''): string {
  const abs = resolve(path);
  let why: string | null = null;
  try {
    if (!statSync(abs).isFile()) why = 'not a file';
    else accessSync(abs, constants.R_OK);
  } catch (cause) {
    why = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read it (${(cause as Error).message})`;
  }
  if (why) throw new VmaspecError('E_USAGE', `${flag} ${path}: ${why}${note}`, { details: [`give ${flag} an existing, readable file`] });
  return abs;
}

function kernelSource(options: KernelOptions): KernelSource {
  if (options.host) {
    const given = [options.patches?.length && '--patch', options.tree && '--kernel-tree', options.image && '--kernel-image', options.imageConfig && '--kernel-config', options.kconfig?.length && '--kconfig', options.profiles?.length && '--profile', options.jobs !== undefined && '--make-jobs'].filter(Boolean);
    if (given.length > 0) throw new VmaspecError('E_USAGE', `--kernel host runs the kernel this machine runs, as it is: ${given.join(', ')} cannot apply to it`);
    return { kind: 'host' };
  }
  if (options.tree && options.image) throw new VmaspecError('E_USAGE', '--kernel-tree and --kernel-image exclude each other');
  if (options.image) {
    if (options.patches?.length) throw new VmaspecError('E_USAGE', '--patch cannot apply to a prebuilt --kernel-image');
    const image = givenFile('--kernel-image', options.image);
    const config = options.imageConfig === undefined ? givenFile('--kernel-config', join(image, '..', '.config'), ' (the default: .config beside --kernel-image)') : givenFile('--kernel-config', options.imageConfig);
    return { kind: 'image', image, config };
  }
  if (options.tree && options.git) throw new VmaspecError('E_USAGE', '--kernel-tree and --git exclude each other');
  if (options.git) return { kind: 'git', repo: resolve(options.git.repo), rev: options.git.rev };
  if (options.tree) return { kind: 'tree', path: resolve(options.tree) };
  return { kind: 'debian', version: options.debian ?? DEFAULT_DEBIAN };
}

/** The fragments every kernel gets: base, the architecture's, and the feature set under test. */
export function defaultFragments(spec: ArchSpec): string[] {
  const dir = join(repoRoot, 'kernel-config');
  return [join(dir, 'base.config'), join(dir, `${spec.arch}.config`), join(dir, 'vma.config'), join(dir, 'fault-injection.config'), join(dir, 'health.config')];
}

const profileDir = join(repoRoot, 'kernel-config', 'profiles');

/** The profiles kernel-config/profiles/ offers, sorted. */
export function knownProfiles(): string[] {
  return readdirSync(profileDir)
    .filter((f) => f.endsWith('.config'))
    .map((f) => f.slice(0, -'.config'.length))
    .sort();
}

/** The fragment of a profile; E_USAGE with the known ones when there is none. */
export function profileFragment(name: string): string {
  const known = knownProfiles();
  if (!known.includes(name)) throw new VmaspecError('E_USAGE', `--profile: no profile "${name}"; allowed: ${known.join(', ')} (kernel-config/profiles/*.config)`);
  return join(profileDir, `${name}.config`);
}

export function buildKernelRequest(options: KernelOptions, spec: ArchSpec): KernelRequest {
  const jobs = options.jobs ?? cpus().length + 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new VmaspecError('E_USAGE', `--make-jobs: expected a positive integer, got "${options.jobs}"`);
  return {
    source: kernelSource(options),
    patches: (options.patches ?? []).map((p) => givenFile('--patch', p)),
    fragments: [...defaultFragments(spec), ...(options.profiles ?? []).map(profileFragment), ...(options.kconfig ?? []).map((f) => givenFile('--kconfig', f))],
    arch: spec.kernelArch,
    cacheDir: options.cacheDir ? resolve(options.cacheDir) : defaultCacheDir(),
    jobs,
  };
}
