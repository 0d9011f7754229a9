// spec: P3 — ANON_VMA_NAME depends on PROC_FS && ADVISE_SYSCALLS && MMU; Debian's kernels leave it off.
// The dependency is checked by the real Kconfig of the default source: with either
// dependency turned off, olddefconfig drops ANON_VMA_NAME and the configure stage
// stops naming the fragment line that asked for it. Debian's own configurations come
// from its linux-config packages (set-up installs them).
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { buildKernel } from '../../runner/kernel/build.js';
import { parseKconfig } from '../../runner/kernel/kconfig.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { createLogger } from '../../runner/log.js';
import { loadArch } from '../../runner/qemu/arch.js';

const spec = await loadArch('x86_64');
const log = createLogger({ verbose: false, stream: process.stderr });
const scratch = await mkdtemp(join(tmpdir(), 'vmaspec-kconfig-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** The configure stage's error for the default kernel with one option turned off. */
async function configureWithout(option: string): Promise<VmaspecError> {
  const fragment = join(scratch, `no-${option}.config`);
  await writeFile(fragment, `# CONFIG_${option} is not set\n`);
  const error = await buildKernel(buildKernelRequest({ kconfig: [fragment] }, spec), log).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VmaspecError);
  return error as VmaspecError;
}

describe('P3: CONFIG_ANON_VMA_NAME depends on PROC_FS and ADVISE_SYSCALLS', () => {
  it.each(['ADVISE_SYSCALLS', 'PROC_FS'])('without %s, olddefconfig drops ANON_VMA_NAME and the build stops before compiling', async (option) => {
    const error = await configureWithout(option);
    expect(error.code).toBe('E_KERNEL_CONFIG');
    expect(error.details).toEqual(expect.arrayContaining([expect.stringMatching(/^\S*vma\.config:\d+: CONFIG_ANON_VMA_NAME=y requested, got not set/)]));
  }, 5 * 60_000);
});

describe("P3: Debian's own kernels leave CONFIG_ANON_VMA_NAME off", () => {
  it.each(['6.1', '6.12'])('linux-config-%s (amd64)', async (version) => {
    const { stdout } = await execa('xz', ['-dc', `/usr/src/linux-config-${version}/config.amd64_none_amd64.xz`]);
    const config = parseKconfig(stdout);
    expect(config.get('ADVISE_SYSCALLS'), 'its dependencies are there').toBe('y');
    expect(config.get('PROC_FS')).toBe('y');
    expect(config.get('ANON_VMA_NAME') ?? 'n').toBe('n');
  });
});
