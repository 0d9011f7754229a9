// The options of a developer's tree that do not go together (issue 16): each is refused with
// its stable code and the flags named, before anything is built or written; a machine's
// `otherwise` chain that goes round is refused; a prebuilt image without what its machine's
// image needs (CONFIG_PVH) is refused instead of booting into nothing.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { buildKernel } from '../../runner/kernel/build.js';
import { buildKernelRequest, type KernelOptions } from '../../runner/kernel/request.js';
import { silentLogger } from '../../runner/log.js';
import { loadArch, machineFor, repoRoot } from '../../runner/qemu/arch.js';

const dir = await mkdtemp(join(tmpdir(), 'vmaspec-tree-options-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const cache = join(dir, 'cache');
const spec = await loadArch('x86_64');
const fixture = (name: string): string => new URL(`../fixtures/kconfig/${name}`, import.meta.url).pathname;

/** The error `work` stops with (it must stop). */
async function failure(work: () => unknown): Promise<VmaspecError> {
  let error: unknown;
  try {
    await work();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(VmaspecError);
  return error as VmaspecError;
}

/** A directory as userTree accepts it; configured in place when `config` is given. */
async function tree(name: string, config?: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, 'mm'), { recursive: true });
  await writeFile(join(path, 'Makefile'), 'all:\n');
  await writeFile(join(path, 'mm', 'madvise.c'), '');
  if (config !== undefined) await writeFile(join(path, '.config'), config);
  return path;
}

describe('the command line of a developer’s tree', () => {
  const refused: [string, KernelOptions, string][] = [
    ['--kernel-build without a tree', { build: '/tmp' }, '--kernel-build is the build dir of a --kernel-tree; give the tree too'],
    ['--in-build-dir without a tree', { inBuildDir: true }, '--in-build-dir builds a --kernel-tree in its own build dir; give the tree'],
    ['--in-build-dir with --kernel-image', { image: '/bin/true', inBuildDir: true }, '--in-build-dir builds a --kernel-tree in its own build dir; give the tree'],
    ['--in-build-dir with a --patch series', { tree: '/tmp', inBuildDir: true, patches: ['/bin/true'] }, '--in-build-dir: a --patch series is built in a patched copy of the tree in the cache, not in your build dir'],
    ['Debian’s prebuilt kernel with a --patch and a .config', { debianImage: { series: '6.12', flavour: 'cloud-amd64' }, patches: ['/bin/true'], config: '/bin/true' }, 'a Debian kernel image is used as Debian built it: --patch, --kernel-config cannot apply to it'],
    ['--kernel host with the tree’s options', { host: true, build: '/tmp', inBuildDir: true, config: '/bin/true' }, '--kernel host runs the kernel this machine runs, as it is: --kernel-build, --in-build-dir, --kernel-config cannot apply to it'],
  ];
  it.each(refused)('%s is E_USAGE, naming the flags', async (_, options, message) => {
    const error = await failure(() => buildKernelRequest({ cacheDir: cache, ...options }, spec));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toBe(message);
  });

  it('--kernel-config is the .config any source starts from, and a prebuilt image’s own', () => {
    const config = fixture('defconfig-6.12.config');
    expect(buildKernelRequest({ cacheDir: cache, config }, spec).config).toBe(config);
    expect(buildKernelRequest({ cacheDir: cache, config, git: { repo: '/tmp', rev: 'HEAD' } }, spec).config).toBe(config);
    const image = buildKernelRequest({ cacheDir: cache, config, image: '/bin/true' }, spec);
    expect(image.config).toBeNull();
    expect(image.source).toEqual({ kind: 'image', image: '/bin/true', config });
  });

  it('--in-build-dir on a tree configured in place with --kernel-build is E_KERNEL_SOURCE (Kbuild would refuse O=), before anything is made', async () => {
    const path = await tree('in-place', 'CONFIG_SMP=y\n');
    const build = join(dir, 'its-build');
    await mkdir(build);
    await writeFile(join(build, '.config'), 'CONFIG_SMP=y\n');
    const error = await failure(() => buildKernel(buildKernelRequest({ cacheDir: cache, tree: path, build, inBuildDir: true }, spec), silentLogger));
    expect(error.code).toBe('E_KERNEL_SOURCE');
    expect(error.message).toBe(`${path} is configured in place, so Kbuild does not build it into --kernel-build ${build}`);
    expect(error.details).toEqual([`run: make -C ${path} mrproper, or leave out --in-build-dir (vmaspec then builds a clean copy of the tree)`]);
    expect(await readdir(build)).toEqual(['.config']);
  });

  it('--in-build-dir on a clean tree without --kernel-build is E_USAGE: it has no build dir of its own', async () => {
    const path = await tree('clean');
    const error = await failure(() => buildKernel(buildKernelRequest({ cacheDir: cache, tree: path, inBuildDir: true, config: fixture('defconfig-6.12.config') }, spec), silentLogger));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toBe(`--in-build-dir: ${path} is not configured in place and no --kernel-build was given: it has no build dir of its own`);
    expect((await readdir(path)).sort()).toEqual(['Makefile', 'mm']);
  });
});

describe('the machine a kernel boots on (qemu/*.yaml otherwise)', () => {
  /** A qemu/ folder holding x86_64.yaml with `edit` applied, and x86_64-pc.yaml as it is. */
  async function qemuDir(name: string, edit: (text: string) => string, pc: (text: string) => string = (t) => t): Promise<string> {
    const root = join(dir, name);
    await mkdir(join(root, 'qemu'), { recursive: true });
    await writeFile(join(root, 'qemu', 'x86_64.yaml'), edit(await readFile(join(repoRoot, 'qemu', 'x86_64.yaml'), 'utf8')));
    await writeFile(join(root, 'qemu', 'x86_64-pc.yaml'), pc(await readFile(join(repoRoot, 'qemu', 'x86_64-pc.yaml'), 'utf8')));
    return root;
  }

  it('follows `otherwise` to a machine that boots any kernel', () => {
    expect(spec.imageNeeds).toBe('PVH');
    expect(spec.otherwise?.arch).toBe('x86_64-pc');
    expect(spec.otherwise?.imageNeeds).toBeNull();
    expect(machineFor(spec, new Map([['PVH', 'y']]))).toBe(spec);
    expect(machineFor(spec, new Map())).toBe(spec.otherwise);
  });

  it('is none when no machine of the chain takes the kernel', async () => {
    const root = await qemuDir('no-otherwise', (t) => t.replace(/^otherwise: .*$/m, ''));
    const alone = await loadArch('x86_64', root);
    expect(alone.otherwise).toBeNull();
    expect(machineFor(alone, new Map())).toBeNull();
  });

  it('refuses an `otherwise` chain that goes round, naming it', async () => {
    const root = await qemuDir('circle', (t) => t, (t) => `${t}\nkernel_image_needs: PVH\notherwise: x86_64\n`);
    const error = await failure(() => loadArch('x86_64', root));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toBe(`${join(root, 'qemu', 'x86_64.yaml')}: otherwise: x86_64 → x86_64-pc → x86_64 goes round in a circle`);
  });

  it.each([
    ['whose last channel needs an option (a kernel without it would have no way out)', (t: string) => t.replace(/    node: \/dev\/ttyS1\n/, '    node: /dev/ttyS1\n    needs: [SERIAL_8250]\n')],
    ['with a node outside /dev', (t: string) => t.replace('node: /dev/hvc0', 'node: hvc0')],
    ['with a need that is not an option name', (t: string) => t.replace('needs: [VIRTIO_MMIO,', 'needs: [CONFIG_VIRTIO_MMIO=y,')],
    ['without the largest archive for a parked guest', (t: string) => t.replace('    parked_archive_kib: 256\n', '')],
    ['with a parked archive limit that is not a positive integer', (t: string) => t.replace('parked_archive_kib: 16', 'parked_archive_kib: 16 KiB')],
  ])('refuses results %s', async (_, edit) => {
    const root = await qemuDir('bad-results', edit);
    const error = await failure(() => loadArch('x86_64', root));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toMatch(/x86_64\.yaml: results: expected a list of \{ devices: \[-device values\], node: \/dev\/…, needs: \[Kconfig options\], parked_archive_kib: KiB \}, the last without needs, got /);
  });

  it('refuses a kernel_image_needs that is not an option name', async () => {
    const root = await qemuDir('bad-needs', (t) => t.replace(/^kernel_image_needs: PVH$/m, 'kernel_image_needs: CONFIG_PVH=y'));
    const error = await failure(() => loadArch('x86_64', root));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toBe(`${join(root, 'qemu', 'x86_64.yaml')}: kernel_image_needs: expected a Kconfig option name without CONFIG_, got "CONFIG_PVH=y"`);
  });

  it('reads each result channel\'s largest archive for a parked guest', () => {
    expect(spec.results.map((c) => [c.node, c.parkedArchiveKib])).toEqual([
      ['/dev/hvc0', 256],
      ['/dev/ttyS1', 16],
    ]);
    expect(spec.otherwise?.results.map((c) => c.parkedArchiveKib)).toEqual([16]);
  });

  it('reads tcg_tsc_khz_arg, and refuses one that is not an argument name', async () => {
    expect(spec.tcgTscKhzArg).toBe('tsc_early_khz');
    expect(spec.otherwise?.tcgTscKhzArg).toBeNull();
    const root = await qemuDir('bad-tsc', (t) => t.replace(/^tcg_tsc_khz_arg: tsc_early_khz$/m, 'tcg_tsc_khz_arg: tsc_early_khz=1'));
    const error = await failure(() => loadArch('x86_64', root));
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toBe(`${join(root, 'qemu', 'x86_64.yaml')}: tcg_tsc_khz_arg: expected a kernel argument name (letters, digits, _ . -), got "tsc_early_khz=1"`);
  });

  it('a prebuilt image without CONFIG_PVH is E_KERNEL_CONFIG: vmaspec does not know its bzImage', async () => {
    // make defconfig with what the guest needs and the cases use merged in: everything but PVH.
    const image = join(dir, 'image', 'vmlinux');
    await mkdir(join(dir, 'image'));
    await writeFile(image, '');
    await copyFile(fixture('defconfig-6.12-vmaspec.config'), join(dir, 'image', '.config'));
    const error = await failure(() => buildKernel(buildKernelRequest({ cacheDir: cache, image }, spec), silentLogger));
    expect(error.code).toBe('E_KERNEL_CONFIG');
    expect(error.message).toBe(`${join(dir, 'image', '.config')} lacks CONFIG_PVH, without which ${image} does not boot on microvm`);
  });
});
