// What the command server keeps parked (docs/serve.md): the guest of `vmaspec run`
// with no options (the default kernel), restored from its snapshot and warmed with
// one case of the suite. Only when all of it is in the cache already: a spare
// worker builds no kernel and boots no guest to save a snapshot in the background.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHelpers } from '../guest/helpers.js';
import { writePayload } from '../guest/initramfs.js';
import { buildKernel, kernelKey } from '../kernel/build.js';
import type { KernelRequest } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { compileCase } from '../plan/compile.js';
import { parkGuest } from '../qemu/parked.js';
import { guestMachine, loadSuite } from '../run.js';

/** The case the parked guest runs first, to warm TCG's translation cache (its results are thrown away). */
const WARM_UP_CASE = 'naming/s1-name-middle-page.yaml';

/** Parks a guest of the kernel `request` names when it is built and its snapshot saved; what was parked, or why nothing was. */
export async function parkDefaultGuest(request: KernelRequest, casesRoot: string, log: Logger): Promise<string> {
  if (request.source.kind !== 'debian') return `the kernel is not one of Debian's sources (${request.source.kind})`;
  const key = await kernelKey(request, log);
  if (!existsSync(join(request.cacheDir, 'builds', key, '.vmaspec-built'))) return `the kernel ${key} is not built yet`;
  const kernel = await buildKernel(request, log);
  const helpers = await buildHelpers(request.cacheDir, log);
  // For the accelerator's probe and the warm-up's archive: parkGuest has read it when it returns.
  const dir = await mkdtemp(join(tmpdir(), 'vmaspec-serve-'));
  try {
    const { guest, machine, snapshot } = await guestMachine({ kernel: request, artifactsDir: dir, log, snapshots: true }, kernel, helpers);
    if (!snapshot || !existsSync(snapshot)) return `no snapshot of the kernel ${key} yet`;
    let warmUp: string | null = join(dir, 'warm-up.cpio');
    try {
      const [warm] = await loadSuite(casesRoot, [join(casesRoot, WARM_UP_CASE)]);
      if (!warm) throw new Error(`${WARM_UP_CASE}: no case`);
      const facts = { release: kernel.release, config: kernel.config ?? new Map<string, string>() };
      await writePayload(warmUp, [compileCase(warm, 0, guest.pageSize, facts).plan]);
    } catch (error) {
      log.verbose(`serve: no warm-up (${error instanceof Error ? error.message : String(error)})`);
      warmUp = null;
    }
    return (await parkGuest({ spec: guest, machine, snapshot, warmUp, log })) ? `a guest of ${kernel.label} ${kernel.release}${warmUp ? ', warm' : ''}` : 'the guest could not be parked';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
