// A developer's .config (issue 16): vmaspec merges in what the guest needs and the cases use,
// not the choices of its own small kernel, and reports each option it changed with the
// fragment line that asked for it; a kernel without CONFIG_PVH boots as a bzImage on -M pc.
// On real configurations: `make defconfig` of Debian's 6.12 (defconfig-6.12.config), and the
// .config vmaspec's configure stage made of it (defconfig-6.12-vmaspec.config).
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmaspecError } from '../../runner/errors.js';
import { checkConfig, CONFIG_REPORT, configPlan, formatConfigReport, mergedRequests, readConfigReport, missingWants, requiredOptions, type ConfigPlan } from '../../runner/kernel/configure.js';
import { configChanges, parseKconfig, type KconfigValues } from '../../runner/kernel/kconfig.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { silentLogger } from '../../runner/log.js';
import { loadArch, machineFor, repoRoot } from '../../runner/qemu/arch.js';

const fixture = (name: string): string => new URL(`../fixtures/kconfig/${name}`, import.meta.url).pathname;
const config = async (name: string): Promise<KconfigValues> => parseKconfig(await readFile(fixture(name), 'utf8'));
const spec = await loadArch('x86_64');
const [defconfig, merged, ours] = await Promise.all([config('defconfig-6.12.config'), config('defconfig-6.12-vmaspec.config'), config('default-6.12.config')]);

/** The plan of Debian's 6.12 on a developer's .config, and on vmaspec's own tinyconfig. */
const developerPlan = await configPlan(buildKernelRequest({ config: fixture('defconfig-6.12.config'), cacheDir: '/nonexistent' }, spec), false, silentLogger);
const tinyPlan = await configPlan(buildKernelRequest({ cacheDir: '/nonexistent' }, spec), false, silentLogger);

/** The line of a fragment a request names. */
const lineOf = async (file: string, line: number): Promise<string> => (await readFile(join(repoRoot, file), 'utf8')).split('\n')[line - 1]!;

describe('the roles of the fragments', () => {
  it('start from the developer’s .config, and from tinyconfig without one', () => {
    expect(developerPlan.base.kind).toBe('developer');
    expect(tinyPlan.base.kind).toBe('tinyconfig');
    expect(developerPlan.configKey).not.toBe(tinyPlan.configKey);
  });

  it('require only the needs of a developer’s .config, every fragment of vmaspec’s own', () => {
    const files = (plan: ConfigPlan): string[] => [...new Set(requiredOptions(plan).map((r) => r.file))];
    expect(files(developerPlan)).toEqual(['kernel-config/base.config', 'kernel-config/x86_64.config']);
    expect(files(tinyPlan)).toEqual(expect.arrayContaining(['kernel-config/tiny/base.config', 'kernel-config/tiny/x86_64.config', 'kernel-config/vma.config', 'kernel-config/health.config']));
    expect(requiredOptions(tinyPlan)).toHaveLength(tinyPlan.fragments.requests.length);
    expect([...new Set(mergedRequests(developerPlan).map((r) => r.role))].sort()).toEqual(['need', 'want']);
    expect(mergedRequests(tinyPlan)).toEqual(tinyPlan.fragments.requests);
  });

  it('leave the developer’s own choices where vmaspec’s small kernel makes others (SMP, ACPI, PVH, sizes)', () => {
    const value = (c: KconfigValues, name: string): string => c.get(name) ?? 'n';
    const tiny = tinyPlan.fragments.requests.filter((r) => r.role === 'tiny');
    for (const r of tiny) expect(value(merged, r.name), r.name).toBe(value(defconfig, r.name));
    const overruled = tiny.filter((r) => value(defconfig, r.name) !== r.value).map((r) => r.name);
    expect(overruled).toEqual(expect.arrayContaining(['SMP', 'ACPI', 'PCI', 'PVH', 'SERIAL_8250_NR_UARTS']));
  });
});

describe('the options vmaspec changed in `make defconfig`', () => {
  const changes = configChanges(defconfig, merged, mergedRequests(developerPlan));
  const asked = changes.filter((c) => c.request);

  it('are the merged requests the defconfig did not have, each now as asked', () => {
    const differing = new Set(mergedRequests(developerPlan).filter((r) => (defconfig.get(r.name) ?? 'n') !== r.value).map((r) => r.name));
    expect(asked.map((c) => c.name).sort()).toEqual([...differing].sort());
    for (const c of asked) expect(c.to, c.name).toBe(c.request!.value);
    expect(asked.map((c) => c.name)).toContain('ANON_VMA_NAME');
    expect(asked.map((c) => c.name)).not.toContain('PROC_FS');
  });

  it('name the fragment line that asked for each', async () => {
    for (const c of asked) expect(await lineOf(c.request!.file, c.request!.line), c.name).toBe(`CONFIG_${c.name}=${c.to}`);
  });

  it('list what olddefconfig changed as a consequence, with no fragment line', () => {
    const consequences = changes.filter((c) => !c.request);
    expect(consequences.length).toBeGreaterThan(0);
    for (const c of consequences) {
      expect(mergedRequests(developerPlan).some((r) => r.name === c.name)).toBe(false);
      expect(defconfig.get(c.name) ?? 'n', c.name).not.toBe(merged.get(c.name) ?? 'n');
    }
  });

  it('print as `CONFIG_X: n → y, needed by FILE:LINE`, the consequences counted', () => {
    const printed = formatConfigReport({ changes, missing: [] }, '/src/linux/.config', '/cache/config-changes.json');
    const anon = asked.find((c) => c.name === 'ANON_VMA_NAME')!;
    expect(printed[0]).toBe(`vmaspec changed ${asked.length} option(s) of /src/linux/.config for the guest and the cases (kernel-config/README.md):`);
    expect(printed).toContain(`  CONFIG_ANON_VMA_NAME: n → y, needed by kernel-config/vma.config:${anon.request!.line}`);
    expect(printed.at(-1)).toBe(`  and ${changes.length - asked.length} option(s) olddefconfig set as their consequence (each in /cache/config-changes.json)`);
  });

  it('name the first fragment that asks for a value: the guest’s base before the feature set', () => {
    const requests = mergedRequests(developerPlan).filter((r) => r.name === 'PROC_FS');
    expect(requests.map((r) => r.file)).toEqual(['kernel-config/base.config', 'kernel-config/vma.config']);
    const [change] = configChanges(new Map([['PROC_FS', 'n']]), new Map([['PROC_FS', 'y']]), requests);
    expect(change!.request!.file).toBe('kernel-config/base.config');
  });

  it('are none when the .config already has everything', () => {
    expect(configChanges(merged, merged, mergedRequests(developerPlan))).toEqual([]);
    expect(formatConfigReport({ changes: [], missing: [] }, '/x/.config', '/c.json')).toEqual(['/x/.config has every option the guest needs and the cases use; vmaspec changed nothing']);
  });
});

describe('the report kept beside the kernel', () => {
  it('names the .config the run started from: two files of one text share the kernel and the report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmaspec-config-report-'));
    try {
      const [tree, build] = [join(dir, 'tree.config'), join(dir, 'build.config')];
      for (const f of [tree, build]) await copyFile(fixture('defconfig-6.12.config'), f);
      const [inTree, inBuild] = await Promise.all([tree, build].map((config) => configPlan(buildKernelRequest({ config, cacheDir: '/nonexistent' }, spec), false, silentLogger)));
      expect(inTree!.configKey).toBe(inBuild!.configKey);
      const changes = configChanges(defconfig, merged, mergedRequests(developerPlan));
      await writeFile(join(dir, CONFIG_REPORT), JSON.stringify({ changes, missing: [] }));
      expect((await readConfigReport(dir, inTree!))[0]).toContain(` option(s) of ${tree} for the guest`);
      expect((await readConfigReport(dir, inBuild!))[0]).toContain(` option(s) of ${build} for the guest`);
      expect(await readConfigReport(dir, tinyPlan)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('what a kernel lacks', () => {
  it('a want: reported, the cases that need it are skipped', () => {
    const missing = missingWants(developerPlan, defconfig);
    expect(missing.map((m) => m.name)).toEqual(expect.arrayContaining(['ANON_VMA_NAME', 'LKDTM']));
    expect(missingWants(developerPlan, merged)).toEqual([]);
    const printed = formatConfigReport({ changes: [], missing }, '/x/.config', '/c.json');
    expect(printed).toContain(`${missing.length} option(s) the cases use are not in the kernel; the cases that need them are skipped:`);
  });

  it('a need: the build stops, naming the fragment line', () => {
    const without = new Map(merged);
    without.set('X86_IOPL_IOPERM', 'n');
    let error: unknown;
    try {
      checkConfig(requiredOptions(developerPlan), without, '/b/.config', false);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VmaspecError);
    expect((error as VmaspecError).code).toBe('E_KERNEL_CONFIG');
    expect((error as VmaspecError).details).toEqual([expect.stringMatching(/^kernel-config\/x86_64\.config:\d+: CONFIG_X86_IOPL_IOPERM=y requested, got not set/)]);
  });
});

describe('the machine a kernel boots on', () => {
  it('microvm through the PVH entry of vmlinux when the kernel has CONFIG_PVH', () => {
    expect(machineFor(spec, ours)).toBe(spec);
    expect(spec.kernelImage).toBe('vmlinux');
  });

  it('-M pc with a bzImage when it has not (x86_64_defconfig)', () => {
    const pc = machineFor(spec, merged)!;
    expect(pc.arch).toBe('x86_64-pc');
    expect(pc.machine).toBe('pc');
    expect(pc.kernelImage).toBe('arch/x86/boot/bzImage');
  });
});
