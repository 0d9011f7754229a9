// The key of a tree's UAPI headers (runner/guest/kernel-headers.ts uapiKey): kept beside the
// identities of the headers it was read from, read again whenever one of them changed.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uapiKey } from '../../runner/guest/kernel-headers.js';

let dir: string;
let src: string;
let cache: string;
const header = (): string => join(src, 'include', 'uapi', 'linux', 'prctl.h');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmaspec-uapi-key-'));
  src = join(dir, 'src');
  cache = join(dir, 'cache');
  await mkdir(join(src, 'include', 'uapi', 'linux'), { recursive: true });
  await mkdir(join(src, 'arch', 'x86', 'include', 'uapi', 'asm'), { recursive: true });
  await writeFile(header(), '#define PR_SET_VMA 0x53564d41\n');
  await writeFile(join(src, 'arch', 'x86', 'include', 'uapi', 'asm', 'mman.h'), '#define MAP_32BIT 0x40\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The kept key files of the cache (one per state of the headers it has seen). */
const memoFiles = async (): Promise<string[]> => (await readdir(join(cache, 'uapi-keys'))).map((n) => join(cache, 'uapi-keys', n));

/** The one kept key file of the cache. */
const memoFile = async (): Promise<string> => {
  const files = await memoFiles();
  expect(files).toHaveLength(1);
  return files[0] ?? '';
};

/** The key a tree without any kept key gets (read from the headers). */
const readKey = (): Promise<string> => uapiKey(src, 'x86_64', join(dir, `fresh-${Math.random()}`));

describe('the UAPI headers key', () => {
  it('is read from the headers once and kept, and is the key of their content', async () => {
    const first = await uapiKey(src, 'x86_64', cache);
    expect(await readFile(await memoFile(), 'utf8')).toBe(first);
    expect(await uapiKey(src, 'x86_64', cache)).toBe(first);
    await writeFile(header(), '#define PR_SET_VMA 0x53564d42\n');
    expect(await readKey()).not.toBe(first);
  });

  it('uses the kept key while the headers are as they were (the kept key is what it returns)', async () => {
    await uapiKey(src, 'x86_64', cache);
    await writeFile(await memoFile(), '0123456789abcdef');
    expect(await uapiKey(src, 'x86_64', cache)).toBe('0123456789abcdef');
  });

  it('reads the headers again after an edit of the same size with the modification time set back', async () => {
    const before = await uapiKey(src, 'x86_64', cache);
    const { atime, mtime } = await stat(header());
    await writeFile(header(), '#define PR_SET_VMA 0x53564d42\n');
    await utimes(header(), atime, mtime);
    const after = await uapiKey(src, 'x86_64', cache);
    expect(after).not.toBe(before);
    expect(after).toBe(await readKey());
  });

  it('reads the headers again after a header is added, and over a damaged kept key', async () => {
    const before = await uapiKey(src, 'x86_64', cache);
    await writeFile(join(src, 'include', 'uapi', 'linux', 'mman.h'), '#define MREMAP_MAYMOVE 1\n');
    const added = await uapiKey(src, 'x86_64', cache);
    expect(added).not.toBe(before);
    for (const file of await memoFiles()) await writeFile(file, '0123456789ab');
    expect(await uapiKey(src, 'x86_64', cache)).toBe(added);
  });
});
