// --kernel specs, the kernel matrix and the boot clock, on the real run report fixture.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKernelSpec } from '../../runner/kernel/spec.js';
import { buildMatrix, formatMatrix, matrixPassed } from '../../runner/matrix/matrix.js';
import { artifactName } from '../../runner/matrix/run.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { BootClock, kernelInitMs } from '../../runner/qemu/timing.js';
import type { RunReport } from '../../runner/report/types.js';

const real = JSON.parse(await readFile(join(repoRoot, 'test/fixtures/reports/no-anon-vma-name-m2-fail.json'), 'utf8')) as RunReport;

describe('--kernel SPEC', () => {
  it('names Debian versions, trees, images and git revisions', () => {
    expect(parseKernelSpec('debian:6.1')).toEqual({ label: 'debian:6.1', options: { debian: '6.1' } });
    expect(parseKernelSpec('tree:/src/linux').options).toEqual({ tree: '/src/linux' });
    expect(parseKernelSpec('image:/b/vmlinux').options).toEqual({ image: '/b/vmlinux' });
    expect(parseKernelSpec('git:/src/a@b@v6.12').options).toEqual({ git: { repo: '/src/a@b', rev: 'v6.12' } });
    expect(parseKernelSpec('debian-image:6.12-cloud-amd64')).toEqual({ label: 'debian-image:6.12-cloud-amd64', options: { debianImage: { series: '6.12', flavour: 'cloud-amd64' } } });
  });

  it.each([
    ['6.12', /no kind/],
    ['debian:', /nothing after the kind/],
    ['debian:six', /not a version such as 6\.12/],
    ['git:/src/linux', /git:REPO@REV/],
    ['nfs:/x', /unknown kind "nfs"/],
    ['debian-image:6.12', /not a version and a flavour such as 6\.12-cloud-amd64/],
    ['debian-image:cloud-amd64', /not a version and a flavour/],
  ])('refuses %s, listing the forms', (spec, why) => {
    expect(() => parseKernelSpec(spec)).toThrow(why);
    expect(() => parseKernelSpec(spec)).toThrow(/expected one of: debian:VERSION/);
  });
});

describe('the kernel matrix', () => {
  const other: RunReport = {
    ...real,
    kernel: { ...real.kernel, release: '6.1.192' },
    cases: real.cases.map((c) => (c.id === 'merge/m2-vm-account-after-mprotect' ? { ...c, verdict: 'pass' as const, failures: [] } : c)).filter((c) => c.id !== 'upstream/proc-pid-vm'),
  };
  const m = buildMatrix(['debian:6.12', 'debian:6.1'], [real, other]);

  it('has a row per case and a cell per kernel, with the release from the runs', () => {
    expect(m.kernels).toEqual([{ label: 'debian:6.12', release: '6.12.117' }, { label: 'debian:6.1', release: '6.1.192' }]);
    expect(m.rows).toHaveLength(real.cases.length);
    const row = (id: string) => m.rows.find((r) => r.id === id)!.cells.map((c) => c.verdict);
    expect(row('merge/m2-vm-account-after-mprotect')).toEqual(['fail', 'pass']);
    expect(row('upstream/proc-pid-vm')).toEqual(['pass', 'absent']);
    expect(m.rows.find((r) => r.id === 'accounting/a1-touched-named-private')!.cells[0]).toEqual({ verdict: 'skip', reason: 'needs CONFIG_ANON_VMA_NAME, not set in this kernel' });
    expect(matrixPassed(m)).toBe(false);
    expect(matrixPassed(buildMatrix(['a'], [other]))).toBe(true);
  });

  it('prints skips as numbered footnotes, once per reason', () => {
    const text = formatMatrix(m);
    expect(text.split('\n')[0]).toMatch(/^case +debian:6\.12 \(6\.12\.117\) +debian:6\.1 \(6\.1\.192\)$/);
    expect(text).toMatch(/accounting\/a1-touched-named-private +skip\[1\] +skip\[1\]/);
    expect(text).toContain('\n[1] needs CONFIG_ANON_VMA_NAME, not set in this kernel\n');
    expect(text.match(/^\[\d+\] /gm)).toHaveLength(1);
  });

  it('names artifact folders after the labels', () => {
    expect(artifactName('debian:6.1')).toBe('debian-6.1');
    expect(artifactName('git:/src/linux@v6.12')).toBe('git-src-linux-v6.12');
  });
});

describe('the boot clock', () => {
  it('splits a boot at the park, the header, the last end record and the exit', () => {
    let t = 0;
    const clock = new BootClock(() => t, () => null);
    clock.on({ kind: 'started', pid: 1 });
    t = 40;
    clock.on({ kind: 'monitor' });
    t = 600;
    clock.on({ kind: 'parked' });
    clock.on({ kind: 'saved', path: '/s', ms: 90 });
    t = 700;
    clock.on({ kind: 'line', line: 'vmaspec-results 1' });
    t = 780;
    clock.on({ kind: 'line', line: 'T 0 end exit 0 taint 0 us 5000' });
    t = 810;
    clock.on({ kind: 'line', line: 'T 1 end exit 0 taint 0 us 5000' });
    t = 870;
    clock.on({ kind: 'exited', code: 0, signal: null });
    t = 880;
    clock.verdict();
    expect(clock.timing(1, 2, '[    0.000000] Linux version 6.12.117\n[    0.451203] Run /init as init process\n')).toEqual({
      boot: 1, cases: 2, start: 'boot', spawnedAtMs: 0, monitorMs: 40, toReadyMs: 600, saveMs: 90, toInitMs: 700, kernelToInitMs: 451, casesMs: 110, powerOffMs: 60, totalMs: 870, toVerdictMs: 880, peakRssMib: null,
    });
  });

  it('a restore: ready when the guest resumed, no kernel boot time; a failed restore then a boot counts the boot only', () => {
    let t = 0;
    const clock = new BootClock(() => t, () => null);
    clock.on({ kind: 'started', pid: 1 });
    t = 35;
    clock.on({ kind: 'monitor' });
    t = 90;
    clock.on({ kind: 'restored' });
    t = 110;
    clock.on({ kind: 'line', line: 'vmaspec-results 1' });
    t = 200;
    clock.on({ kind: 'line', line: 'T 0 end exit 0 taint 0 us 5000' });
    t = 210;
    clock.on({ kind: 'exited', code: 0, signal: null });
    clock.verdict();
    expect(clock.timing(1, 1, '[    0.451203] Run /init as init process\n')).toMatchObject({ start: 'restore', monitorMs: 35, toReadyMs: 90, saveMs: null, toInitMs: 110, kernelToInitMs: null, casesMs: 90, totalMs: 210 });
    t = 1000;
    clock.on({ kind: 'started', pid: 2 });
    t = 1700;
    clock.on({ kind: 'parked' });
    expect(clock.timing(1, 1, '')).toMatchObject({ start: 'boot', monitorMs: null, toReadyMs: 700, toInitMs: null });
  });

  it("reads the kernel's time of Run /init from a real console", async () => {
    const log = await readFile(join(repoRoot, 'test/fixtures/boot/console-6.12.log'), 'utf8');
    expect(kernelInitMs(log)).toBe(Math.round(0.716021 * 1000));
    expect(kernelInitMs('no console')).toBeNull();
  });
});
