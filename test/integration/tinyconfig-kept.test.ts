// A configuration of Debian's source starts from the `.config` of `make tinyconfig` kept in the
// cache (runner/kernel/configure.ts tinyconfigFile) instead of running it again: the result must
// be the one `make tinyconfig` gives. The default kernel's `.config` (made by `make tinyconfig`
// itself on an empty cache, as in CI's cold runs) is compared with a configuration of the same
// request in a new build dir from the kept file, and that configuration must not run tinyconfig.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../runner/kernel/build.js';
import { configPlan, configure, keptTinyconfig, tinyconfigFile } from '../../runner/kernel/configure.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { sourceTree, type BuildableSource } from '../../runner/kernel/source.js';
import { createLogger, type Logger } from '../../runner/log.js';
import { loadArch } from '../../runner/qemu/arch.js';

const spec = await loadArch('x86_64');
const request = buildKernelRequest({}, spec);
const out = await mkdtemp(join(tmpdir(), 'vmaspec-tinyconfig-'));
afterAll(() => rm(out, { recursive: true, force: true }));

/** A verbose logger that keeps what it is told: the command lines make ran with. */
function keeping(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = { info: (m) => lines.push(m), verbose: (m) => lines.push(m), progress() {}, done() {} };
  return { log, lines };
}

describe("the kept tinyconfig of Debian's source", () => {
  it('gives the default kernel its .config again, without running make tinyconfig', async () => {
    const progress = createLogger({ verbose: false, stream: process.stderr });
    const kernel = await buildKernel(request, progress); // the suite's kernel (built first on a cold cache)
    const source = await sourceTree(request.source as BuildableSource, request.cacheDir, progress);
    const plan = await configPlan(request, false, progress);
    const kept = tinyconfigFile(request.cacheDir, source, plan);
    const dir = (name: string) => ({ src: source, out: join(out, name), meta: join(out, name), makeArgs: [`O=${join(out, name)}`, `ARCH=${request.arch}`], configKey: plan.configKey, tinyconfig: kept });
    // A cache whose default kernel an older vmaspec built has none: a configuration keeps it.
    await Promise.all(['first', 'again'].map((name) => mkdir(join(out, name))));
    if ((await keptTinyconfig(kept)) === null) await configure(dir('first'), plan, progress);
    expect(await keptTinyconfig(kept), kept).not.toBeNull();

    const { log, lines } = keeping();
    await configure(dir('again'), plan, log);
    const makes = lines.filter((l) => l.startsWith('$ make'));
    expect(makes.length, lines.join('\n')).toBeGreaterThan(0);
    expect(makes.filter((l) => / tinyconfig$/.test(l)), 'make tinyconfig ran').toEqual([]);
    expect(await readFile(join(out, 'again', '.config'), 'utf8')).toBe(await readFile(kernel.configPath, 'utf8'));
  }, 10 * 60_000);
});
