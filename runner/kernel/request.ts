// Turns kernel options (from the command line or a test) into a KernelRequest with sane defaults.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { ArchSpec } from '../qemu/arch.js';
import { repoRoot } from '../qemu/arch.js';
import { cacheDirOf } from './cache.js';
import type { Fragment, KernelRequest, KernelSource } from './types.js';

export interface KernelOptions {
  patches?: string[];
  tree?: string;
  /** The build dir `tree` is configured in (`O=`): its `.config` is the base. */
  build?: string;
  /** Build in the tree's own build dir (`build`, else the tree configured in place), not in the cache. */
  inBuildDir?: boolean;
  image?: string;
  /** The `.config` of `image` (default: `.config` beside it), or the `.config` any other source starts from. */
  config?: string;
  /** The version of Debian's linux-source package to build (default 6.12). */
  debian?: string;
  /** Debian's prebuilt kernel of a series and flavour instead (`--kernel debian-image:6.12-cloud-amd64`). */
  debianImage?: { series: string; flavour: string };
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

/** The absolute path of a directory the command line names; E_USAGE naming the flag when it is not one. */
function givenDir(flag: string, path: string): string {
  const abs = resolve(path);
  let kind: string | null = null;
  try {
    if (!statSync(abs).isDirectory()) kind = 'not a directory';
  } catch {
    kind = 'no such directory';
  }
  if (kind) throw new VmaspecError('E_USAGE', `${flag} ${path}: ${kind}`, { details: [`give ${flag} an existing directory`] });
  return abs;
}

/** How each option that picks or builds a kernel is spelt on the command line, and whether it was given. */
const OPTION_FLAGS = {
  '--patch': (o) => Boolean(o.patches?.length),
  '--kernel-tree': (o) => Boolean(o.tree),
  '--kernel-build': (o) => Boolean(o.build),
  '--in-build-dir': (o) => Boolean(o.inBuildDir),
  '--kernel-image': (o) => Boolean(o.image),
  '--kernel-config': (o) => Boolean(o.config),
  '--kconfig': (o) => Boolean(o.kconfig?.length),
  '--profile': (o) => Boolean(o.profiles?.length),
  '--make-jobs': (o) => o.jobs !== undefined,
  'git:': (o) => Boolean(o.git),
} satisfies Record<string, (options: KernelOptions) => boolean>;

/** Those of `flags` that `options` gives, in the order asked. */
const flagsGiven = (options: KernelOptions, flags: (keyof typeof OPTION_FLAGS)[]): string[] => flags.filter((flag) => OPTION_FLAGS[flag](options));

function kernelSource(options: KernelOptions): KernelSource {
  if (options.host) {
    const given = flagsGiven(options, ['--patch', '--kernel-tree', '--kernel-build', '--in-build-dir', '--kernel-image', '--kernel-config', '--kconfig', '--profile', '--make-jobs']);
    if (given.length > 0) throw new VmaspecError('E_USAGE', `--kernel host runs the kernel this machine runs, as it is: ${given.join(', ')} cannot apply to it`);
    return { kind: 'host' };
  }
  if (options.tree && options.image) throw new VmaspecError('E_USAGE', '--kernel-tree and --kernel-image exclude each other');
  if (options.debianImage) {
    const given = flagsGiven(options, ['--patch', '--kernel-tree', '--kernel-image', '--kernel-config', 'git:']);
    if (given.length > 0) throw new VmaspecError('E_USAGE', `a Debian kernel image is used as Debian built it: ${given.join(', ')} cannot apply to it`);
    return { kind: 'debian-image', ...options.debianImage };
  }
  if (!options.tree && options.build) throw new VmaspecError('E_USAGE', '--kernel-build is the build dir of a --kernel-tree; give the tree too');
  if (!options.tree && options.inBuildDir) throw new VmaspecError('E_USAGE', '--in-build-dir builds a --kernel-tree in its own build dir; give the tree');
  if (options.image) {
    if (options.patches?.length) throw new VmaspecError('E_USAGE', '--patch cannot apply to a prebuilt --kernel-image');
    const image = givenFile('--kernel-image', options.image);
    const config = options.config === undefined ? givenFile('--kernel-config', join(image, '..', '.config'), ' (the default: .config beside --kernel-image)') : givenFile('--kernel-config', options.config);
    return { kind: 'image', image, config };
  }
  if (options.tree && options.git) throw new VmaspecError('E_USAGE', '--kernel-tree and --git exclude each other');
  if (options.git) return { kind: 'git', repo: resolve(options.git.repo), rev: options.git.rev };
  if (options.tree) {
    if (options.inBuildDir && options.patches?.length) throw new VmaspecError('E_USAGE', '--in-build-dir: a --patch series is built in a patched copy of the tree in the cache, not in your build dir');
    return { kind: 'tree', path: givenDir('--kernel-tree', options.tree), build: options.build === undefined ? null : givenDir('--kernel-build', options.build), inBuildDir: options.inBuildDir === true };
  }
  return { kind: 'debian', version: options.debian ?? DEFAULT_DEBIAN };
}

/**
 * The fragments every kernel gets (kernel-config/README.md): what the guest needs, the choices
 * of vmaspec's own small kernel, and what the cases use (the feature set under test, fault
 * injection, the health detectors).
 */
export function defaultFragments(spec: ArchSpec): Fragment[] {
  const dir = join(repoRoot, 'kernel-config');
  const of = (role: Fragment['role'], ...names: string[]): Fragment[] => names.map((n) => ({ path: join(dir, n), role }));
  return [
    ...of('need', 'base.config'),
    ...of('tiny', 'tiny/base.config'),
    ...of('need', `${spec.kernelArch}.config`),
    ...of('tiny', `tiny/${spec.kernelArch}.config`),
    ...of('want', 'vma.config', 'fault-injection.config', 'health.config'),
  ];
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
  const source = kernelSource(options);
  // What the command line asks for explicitly must be there: profiles and --kconfig fragments are needs.
  const asked = [...(options.profiles ?? []).map(profileFragment), ...(options.kconfig ?? []).map((f) => givenFile('--kconfig', f))];
  return {
    source,
    patches: (options.patches ?? []).map((p) => givenFile('--patch', p)),
    fragments: [...defaultFragments(spec), ...asked.map((path): Fragment => ({ path, role: 'need' }))],
    config: source.kind === 'image' || options.config === undefined ? null : givenFile('--kernel-config', options.config),
    machine: spec,
    arch: spec.kernelArch,
    cacheDir: cacheDirOf(options.cacheDir),
    jobs,
    seed: true,
  };
}
