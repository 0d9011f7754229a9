// rsync missing (issue 13, bug 9): `make headers_install` needs it, and without it the whole
// run exited 2. Now only the cases that compile a selftest of the kernel tree are broken,
// with a message naming rsync; a case's own probe still builds. A real PATH without rsync,
// real make and musl-gcc, a tree whose headers_install is the kernel's recipe.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeFiles } from '../../runner/guest/kernel-headers.js';
import { probeBuilder } from '../../runner/guest/probes.js';
import type { BuiltKernel } from '../../runner/kernel/types.js';
import { silentLogger } from '../../runner/log.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-headers-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rsync missing', () => {
  /** PATH with every program of this one but rsync (links in a temp dir). */
  async function pathWithoutRsync(): Promise<string> {
    const bin = join(root, 'bin-no-rsync');
    await mkdir(bin, { recursive: true });
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name === 'rsync' || existsSync(join(bin, name))) continue;
        await symlink(join(dir, name), join(bin, name));
      }
    }
    return bin;
  }

  it('makes only the cases that compile a selftest of the kernel tree broken, naming rsync', async () => {
    // A tree whose headers_install is the kernel's recipe (rsync of the UAPI headers).
    const src = join(root, 'linux');
    await mkdir(join(src, 'include', 'uapi', 'linux'), { recursive: true });
    await mkdir(join(src, 'tools', 'testing', 'selftests', 'prctl'), { recursive: true });
    await writeFile(join(src, 'include', 'uapi', 'linux', 'prctl.h'), '#define PR_SET_VMA 0x53564d41\n');
    await writeFile(join(src, 'Makefile'), "headers_install:\n\tmkdir -p $(INSTALL_HDR_PATH)\n\trsync -mrl --include='*/' --include='*\\.h' --exclude='*' include/uapi/ $(INSTALL_HDR_PATH)/include\n");
    await writeFile(join(src, 'tools', 'testing', 'selftests', 'prctl', 'set-anon-vma-name-test.c'), '#include <linux/prctl.h>\nint main(void) { return 0; }\n');
    const saved = process.env.PATH;
    process.env.PATH = await pathWithoutRsync();
    try {
      const cache = join(root, 'cache-rsync');
      const kernel = { sourceDir: src, label: 'test', release: '6.12.0' } as BuiltKernel;
      const files = probeFiles(kernel, 'x86_64', cache, silentLogger);
      const build = probeBuilder(cache, silentLogger);
      const file = await files({ from: 'kernel', path: 'tools/testing/selftests/prctl/set-anon-vma-name-test.c' } as Parameters<typeof files>[0]);
      if ('skip' in file) throw new Error(file.skip);
      const built = await build(file.source, file.tree);
      expect(built).toEqual({
        ok: false,
        message: "the kernel's UAPI headers could not be installed: make headers_install needs rsync, which is not installed",
        output: ['install it: apt-get install rsync (or npm run setup)'],
      });
      // A case's own probe still builds.
      const own = join(root, 'own.c');
      await writeFile(own, 'int main(void) { return 0; }\n');
      const ownFile = await files({ from: 'case', abs: own } as Parameters<typeof files>[0]);
      if ('skip' in ownFile) throw new Error(ownFile.skip);
      expect(await build(ownFile.source)).toMatchObject({ ok: true });
      // Nothing half-installed is left to be taken for headers later.
      expect(existsSync(join(cache, 'uapi'))).toBe(true);
      for (const d of await readdir(join(cache, 'uapi'))) if (!d.endsWith('.lock')) expect(await readdir(join(cache, 'uapi', d))).toEqual([]);
    } finally {
      process.env.PATH = saved;
    }
  });
});
