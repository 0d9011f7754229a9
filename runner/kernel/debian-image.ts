// Debian's own prebuilt kernels (`linux-image-<abi>-<flavour>-unsigned`), as a distribution
// ships them: fetched with `apt-get download` (the package client; nothing is installed), the
// vmlinux taken out of the package's vmlinuz (a bzImage with a zstd payload, booted through its
// PVH entry), the package's /boot/config beside it. Cached per package version. The version
// is the one of linux-source-<series> when Debian has an image of it (the same source as
// `debian:<series>`, built with Debian's configuration), else the newest of the series.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VmaspecError } from '../errors.js';
import type { Logger } from '../log.js';
import { run } from '../util/exec.js';
import { debianPackageVersion, extractOnce } from './source.js';

/** A Debian kernel image package and its version. */
export interface ImagePackage {
  name: string;
  version: string;
}

/** A Debian kernel image of the cache: the vmlinux to boot, its .config, and what it is. */
export interface DebianImage {
  image: string;
  config: string;
  package: ImagePackage;
  /** The package and its version, e.g. `linux-image-6.12.118+deb12-cloud-amd64-unsigned 6.12.118-1~deb12u1`. */
  label: string;
}

/** zstd's frame magic (RFC 8878), where the bzImage's payload starts. */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** `Package: …` and `Version: …` of each stanza `apt-cache show` printed. */
function stanzas(text: string): ImagePackage[] {
  return text
    .split(/\n\n+/)
    .map((s) => ({ name: /^Package: (\S+)$/m.exec(s)?.[1] ?? '', version: /^Version: (\S+)$/m.exec(s)?.[1] ?? '' }))
    .filter((p) => p.name && p.version);
}

/** Debian's version order (dpkg --compare-versions): whether `a` is newer than `b`. */
async function newer(a: string, b: string, log: Logger): Promise<boolean> {
  return run('dpkg', ['--compare-versions', a, 'gt', b], { log }).then(
    () => true,
    () => false,
  );
}

/** The cache folder of an image package's version (`packageOf` reads it back). */
const imageDir = (cacheDir: string, pkg: ImagePackage): string => join(cacheDir, 'images', `${pkg.name}_${pkg.version.replaceAll(':', '%3a')}`);

/** The package and version of a folder name imageDir made; null for another name. */
function packageOf(entry: string): ImagePackage | null {
  const at = entry.lastIndexOf('_');
  return at > 0 ? { name: entry.slice(0, at), version: entry.slice(at + 1).replaceAll('%3a', ':') } : null;
}

/** The names of the image packages of `series` and `flavour`. */
const packageShape = (series: string, flavour: string): RegExp => new RegExp(`^linux-image-${series.replaceAll('.', '\\.')}[.0-9]*[-+][^ ]*-${flavour}-unsigned$`);

/** An image of the cache of the linux-source version `source`, found without asking apt (which takes seconds). */
async function cachedPackage(series: string, flavour: string, source: string, cacheDir: string): Promise<ImagePackage | null> {
  const shape = packageShape(series, flavour);
  for (const entry of await readdir(join(cacheDir, 'images')).catch(() => [] as string[])) {
    const pkg = packageOf(entry);
    if (pkg && pkg.version === source && shape.test(pkg.name) && (await stat(join(imageDir(cacheDir, pkg), '.complete')).catch(() => null))) return pkg;
  }
  return null;
}

/** The image package of `series` and `flavour` to use, and its version: that of linux-source (`source`) when Debian has it. */
async function pickPackage(series: string, flavour: string, source: string, log: Logger): Promise<ImagePackage> {
  const shape = packageShape(series, flavour);
  const names = (await run('apt-cache', ['pkgnames', `linux-image-${series}`], { log })).split('\n').filter((n) => shape.test(n));
  if (names.length === 0) {
    throw new VmaspecError('E_KERNEL_SOURCE', `apt knows no Debian kernel image linux-image-${series}…-${flavour}-unsigned`, {
      details: ['run apt-get update, or check the flavour (e.g. cloud-amd64, amd64)'],
    });
  }
  const all = stanzas(await run('apt-cache', ['show', ...names], { log }));
  const same = all.find((p) => p.version === source);
  if (same) return same;
  let best = all[0];
  for (const p of all.slice(1)) if (best && (await newer(p.version, best.version, log))) best = p;
  if (!best) throw new VmaspecError('E_KERNEL_SOURCE', `apt-cache show printed no version of ${names.join(', ')}`);
  return best;
}

/** Writes the vmlinux inside the bzImage `vmlinuz` to `out`: the zstd payload that decompresses to an ELF file. */
async function extractVmlinux(vmlinuz: string, out: string, log: Logger): Promise<void> {
  const bytes = await readFile(vmlinuz);
  for (let at = bytes.indexOf(ZSTD_MAGIC); at >= 0; at = bytes.indexOf(ZSTD_MAGIC, at + 1)) {
    // What follows the payload in the bzImage is not zstd: zstd says so and exits non-zero after writing the frame.
    const zstd = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise<void>((resolve) => zstd.on('close', () => resolve()));
    zstd.stdin.on('error', () => undefined);
    zstd.stdin.end(bytes.subarray(at));
    await pipeline(zstd.stdout, createWriteStream(out));
    await exited;
    const file = await open(out, 'r');
    const head = Buffer.alloc(4);
    await file.read(head, 0, 4, 0);
    await file.close();
    if (head.equals(ELF_MAGIC)) return;
  }
  await rm(out, { force: true });
  log.verbose(`kernel: no zstd payload of ${vmlinuz} decompresses to an ELF file`);
  throw new VmaspecError('E_KERNEL_SOURCE', `${vmlinuz} holds no zstd-compressed vmlinux (Debian builds its kernels with CONFIG_KERNEL_ZSTD)`);
}

/** The package (and version) of Debian's prebuilt `<series>` kernel of `flavour` that `debianImage` uses; nothing is fetched. */
export async function debianImagePackage(series: string, flavour: string, cacheDir: string, log: Logger): Promise<ImagePackage> {
  const source = await debianPackageVersion(series, cacheDir, false, log);
  return (await cachedPackage(series, flavour, source, cacheDir)) ?? (await pickPackage(series, flavour, source, log));
}

/** Debian's prebuilt `<series>` kernel of `flavour` (e.g. 6.12, cloud-amd64) in the cache: fetched and extracted once. */
export async function debianImage(series: string, flavour: string, cacheDir: string, log: Logger): Promise<DebianImage> {
  const pkg = await debianImagePackage(series, flavour, cacheDir, log);
  const dir = imageDir(cacheDir, pkg);
  const label = `${pkg.name} ${pkg.version}`;
  await extractOnce(dir, log, async (partial) => {
    log.info(`kernel: fetching Debian's ${label} (apt-get download; nothing is installed)`);
    await run('apt-get', ['download', '-q', `${pkg.name}=${pkg.version}`], { log, cwd: partial });
    const deb = (await readdir(partial)).find((n) => n.endsWith('.deb'));
    if (!deb) throw new VmaspecError('E_KERNEL_SOURCE', `apt-get download ${pkg.name}=${pkg.version} left no .deb file`);
    await run('dpkg-deb', ['-x', join(partial, deb), join(partial, 'root')], { log });
    const boot = join(partial, 'root', 'boot');
    const files = await readdir(boot);
    const vmlinuz = files.find((n) => n.startsWith('vmlinuz-'));
    const config = files.find((n) => n.startsWith('config-'));
    if (!vmlinuz || !config) throw new VmaspecError('E_KERNEL_SOURCE', `${deb} has no /boot/vmlinuz-* and /boot/config-* (it has ${files.join(', ')})`);
    await extractVmlinux(join(boot, vmlinuz), join(partial, 'vmlinux'), log);
    await rename(join(boot, config), join(partial, 'config'));
    await rm(join(partial, 'root'), { recursive: true, force: true });
    await rm(join(partial, deb), { force: true });
  });
  const image = join(dir, 'vmlinux');
  if (!(await stat(image).catch(() => null))?.isFile()) throw new VmaspecError('E_CACHE', `${dir} is complete but has no vmlinux; remove it`);
  return { image, config: join(dir, 'config'), package: pkg, label };
}
