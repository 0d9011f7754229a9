// Typed requests and results of the kernel stage (KUnit style: config → build → image).

/** Where the kernel comes from. */
export type KernelSource =
  /** Debian's linux-source-<version> package, extracted into the cache. */
  | { kind: 'debian'; version: string }
  /** A user's tree, built out of tree (the tree is left clean). */
  | { kind: 'tree'; path: string }
  /** One commit of a git repository, exported into the cache (immutable, like Debian's source). */
  | { kind: 'git'; repo: string; rev: string }
  /** A prebuilt uncompressed vmlinux (PVH) and its `.config`. */
  | { kind: 'image'; image: string; config: string }
  /** The kernel this machine runs (`--kernel host`): nothing is built or booted (runner/host/). */
  | { kind: 'host' };

/** A source tree ready for `make O=…`, with the identity that goes into the cache key. */
export interface SourceTree {
  dir: string;
  identity: string;
  label: string;
}

export interface KernelRequest {
  source: KernelSource;
  /** A patch series, applied in order: in Debian's working copy (incremental, reversed after), or to a pristine copy of a tree. */
  patches: string[];
  /** Kconfig fragment files, merged in order onto `make tinyconfig`. */
  fragments: string[];
  arch: string;
  cacheDir: string;
  jobs: number;
}

export interface BuiltKernel {
  /** The uncompressed vmlinux QEMU boots through its PVH entry. */
  image: string;
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
  /** The source tree it was built from (absent for a prebuilt image): upstream selftests compile from it. */
  sourceDir?: string;
  /** The build dir make ran in (shared by the kernels of one working copy and configuration); absent for an image. */
  buildDir?: string;
  /** The folder of the cache the kernel is kept in (vmlinux, .config), under its key; absent for a prebuilt image. What a CI build job hands its shards. */
  entry?: string;
}
