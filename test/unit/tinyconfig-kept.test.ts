// The kept `.config` of `make tinyconfig` (runner/kernel/configure.ts): what is kept is read back
// as it was; a damaged file (a changed byte, cut short, no header, not there) is never used.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepTinyconfig, keptTinyconfig } from '../../runner/kernel/configure.js';

const dir = await mkdtemp(join(tmpdir(), 'vmaspec-tinyconfig-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

// The head of a real tinyconfig of Debian's 6.12 source.
const TEXT = '#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.12.118 Kernel Configuration\n#\nCONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14+deb12u1) 12.2.0"\nCONFIG_CC_IS_GCC=y\n# CONFIG_SMP is not set\n';

describe('the kept tinyconfig', () => {
  it('reads back what was kept, in a folder made for it', async () => {
    const file = join(dir, 'configs', 'tinyconfig-a');
    await keepTinyconfig(file, TEXT);
    expect(await keptTinyconfig(file)).toBe(TEXT);
  });

  it.each([
    ['a changed byte', (kept: string) => kept.replace('# CONFIG_SMP is not set', 'CONFIG_SMP=y')],
    ['cut short', (kept: string) => kept.slice(0, kept.length - 10)],
    ['cut to its header', (kept: string) => kept.slice(0, kept.indexOf('\n') + 1)],
    ['without its header', (kept: string) => kept.slice(kept.indexOf('\n') + 1)],
    ['empty', () => ''],
  ])('is not used when %s', async (_, damage) => {
    const file = join(dir, 'configs', 'tinyconfig-b');
    await keepTinyconfig(file, TEXT);
    await writeFile(file, damage(await readFile(file, 'utf8')));
    expect(await keptTinyconfig(file)).toBeNull();
  });

  it('is not there', async () => {
    expect(await keptTinyconfig(join(dir, 'configs', 'none'))).toBeNull();
  });
});
