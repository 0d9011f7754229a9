// Typed requests and results of the kernel stage (KUnit style: config → build → image).
import type { ArchSpec } from '../qemu/arch.js';

/** Where the kernel comes from. */
export type KernelSource =
  /** Debian's linux-source-<version> package, extracted into the cache. */
  | { kind: 'debian'; version: string }
  /**
   * A developer's tree, clean or configured in place (then built from a clean copy in the
   * cache), with the build dir it is configured in (`O=`, `--kernel-build`) if any. Built in
   * vmaspec's own build dir, or in theirs (`inBuildDir`: `build`, else the tree itself).
   */
  | { kind: 'tree'; path: string; build: string | null; inBuildDir: boolean }
  /** One commit of a git repository, exported into the cache (immutable, like Debian's source). */
  | { kind: 'git'; repo: string; rev: string }
  /** A prebuilt uncompressed vmlinux (PVH) and its `.config`. */
  | { kind: 'image'; image: string; config: string }
  /** Debian's own prebuilt kernel of a series and flavour (e.g. 6.12, cloud-amd64), fetched by apt (runner/kernel/debian-image.ts). */
  | { kind: 'debian-image'; series: string; flavour: string }
  /** The kernel this machine runs (`--kernel host`): nothing is built or booted (runner/host/). */
  | { kind: 'host' };

/** A source tree ready for `make O=…`, with the identity that goes into the cache key. */
export interface SourceTree {
  dir: string;
  identity: string;
  label: string;
}

/**
 * What vmaspec does with a fragment's options on a developer's `.config` (on `make tinyconfig`
 * every fragment is merged, and every option must survive olddefconfig):
 * - `need`: the guest cannot boot or report without it: merged in, and the build stops when it does not survive;
 * - `want`: cases use it: merged in and reported; when it does not survive, the cases that need it are skipped;
 * - `tiny`: a choice of vmaspec's own small kernel (sizes, -O2, PVH): not merged.
 */
export type FragmentRole = 'need' | 'want' | 'tiny';

/** A Kconfig fragment file and its role. */
export interface Fragment {
  path: string;
  role: FragmentRole;
}

export interface KernelRequest {
  source: KernelSource;
  /** A patch series, applied in order: in Debian's working copy (incremental, reversed after), or to a pristine copy of a tree. */
  patches: string[];
  /** Kconfig fragments, merged in order onto `make tinyconfig` or onto a developer's `.config`. */
  fragments: Fragment[];
  /** A developer's `.config` to start from (`--kernel-config`); null: a tree's or build dir's own, else `make tinyconfig`. */
  config: string | null;
  /** The machine guests boot on; a kernel without what its image needs boots on its `otherwise` machine. */
  machine: ArchSpec;
  arch: string;
  cacheDir: string;
  jobs: number;
  /** Whether a configuration never built starts from a completed build of the same source in another one (runner/kernel/seed.ts); false: from scratch. */
  seed: boolean;
}

export interface BuiltKernel {
  /** The image QEMU boots (`machine.kernelImage`): the uncompressed vmlinux through its PVH entry, or a bzImage. */
  image: string;
  /** The machine the kernel boots on. */
  machine: ArchSpec;
  /** The final `.config`. */
  configPath: string;
  config: Map<string, string>;
  /** `make kernelrelease`, e.g. `6.12.117`. */
  release: string;
  /** Cache key (hex) over source, patches, fragments and compiler. */
  key: string;
  /** True when nothing was built in this run. */
  cached: boolean;
  /** A short human description: `debian:6.12 + 1 patch`. */
  label: string;
  /** A clean source tree of the kernel (absent for a prebuilt image): upstream selftests compile from it with `O=`. */
  sourceDir?: string;
  /** The build dir make ran in (shared by the kernels of one working copy and configuration); absent for an image. */
  buildDir?: string;
  /** What vmaspec changed in a developer's `.config` and what the cases miss in it, as lines (printed on every use); empty for vmaspec's own configuration. */
  configReport: string[];
  /** The folder of the cache the kernel is kept in (vmlinux, .config), under its key; absent for a prebuilt image. What a CI build job hands its shards. */
  entry?: string;
}
