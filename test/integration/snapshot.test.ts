// Guests start from a snapshot of a booted one (runner/qemu/snapshot.ts): a run
// restores it, the supervisor reseeds the kernel's CRNG after the restore, a
// snapshot QEMU cannot load is replaced by a boot, and --no-snapshot boots.
// Real kernel, real QEMU, a real probe (test/fixtures/snapshot/addresses.c). The snapshots are
// this file's own (test/fixtures/linked-cache.ts): it damages one, which no other file may restore.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHelpers } from '../../runner/guest/helpers.js';
import { buildKernel } from '../../runner/kernel/build.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { createLogger, type Logger } from '../../runner/log.js';
import { loadArch, repoRoot, type ArchSpec } from '../../runner/qemu/arch.js';
import { checkVmState, ramFileOf } from '../../runner/qemu/vmstate.js';
import type { RunReport } from '../../runner/report/types.js';
import { artifactsFolder, guestMachine, loadSuite, runSuite } from '../../runner/run.js';
import { linkedCache } from '../fixtures/linked-cache.js';

const casesRoot = join(repoRoot, 'test/fixtures/snapshot');
const spec = await loadArch('x86_64');
let kernel = buildKernelRequest({}, spec);
const log = createLogger({ verbose: false, stream: process.stderr });

/** One run of the fixture case; its report and the addresses the probe printed. */
async function run(snapshots: boolean, logger: Logger = log, arch: ArchSpec = spec): Promise<{ report: RunReport; addresses: string }> {
  const artifactsDir = artifactsFolder(join(repoRoot, 'artifacts'));
  const on = arch === spec ? kernel : buildKernelRequest({ cacheDir: kernel.cacheDir }, arch);
  const report = await runSuite({ casesRoot, paths: [], kernel: on, spec: arch, artifactsDir, log: logger, reporters: [], snapshots }, await loadSuite(casesRoot, []));
  const stream = await readFile(join(artifactsDir, 'results-1.txt'), 'utf8');
  return { report, addresses: /^O # (addresses stack=\w+ mmap=\w+)$/m.exec(stream)?.[1] ?? '' };
}

let snapshot: string;
let scratch: string;

beforeAll(async () => {
  await buildKernel(kernel, log); // in the real cache, which this file's links to
  scratch = await mkdtemp(join(tmpdir(), 'vmaspec-snapshot-test-'));
  kernel = buildKernelRequest({ cacheDir: await linkedCache(join(scratch, 'cache')) }, spec);
  const built = await buildKernel(kernel, log);
  await run(true); // restores, or boots and saves the snapshot
  // Where the runs keep it: the machine as they start it (the host's TSC rate on its command line, under TCG).
  snapshot = (await guestMachine({ kernel, artifactsDir: scratch, log, snapshots: true }, built, await buildHelpers(kernel.cacheDir, log))).snapshot ?? '';
}, 20 * 60_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('snapshots of the booted guest', () => {
  it("the snapshot QEMU saved passes vmaspec's own check of a whole migration stream, and its RAM file has a hole for each unused block", async () => {
    expect(await checkVmState(snapshot)).toBeNull();
    const ram = await stat(ramFileOf(snapshot, (await stat(snapshot)).ino));
    expect(ram.size).toBe(spec.memoryMib * 1024 * 1024);
    expect(ram.blocks * 512).toBeLessThan(ram.size / 2); // the guest used a fraction of its RAM: the rest are holes
    expect((await stat(snapshot)).size).toBeLessThan(1 << 20); // the state without the RAM
  });

  it('a run restores the saved guest, and the case passes', async () => {
    const { report, addresses } = await run(true);
    expect(report.summary.pass).toBe(1);
    expect(report.boots?.[0]).toMatchObject({ start: 'restore', kernelToInitMs: null, saveMs: null });
    expect(addresses).toMatch(/^addresses stack=[0-9a-f]+ mmap=[0-9a-f]+$/);
  }, 60_000);

  it('warm start: a second run of the unchanged case on the unchanged kernel builds nothing and boots nothing', async () => {
    await run(true);
    const lines: string[] = [];
    const capture: Logger = { info: (m) => lines.push(m), verbose: (m) => lines.push(m), progress: (m) => lines.push(m), done: () => undefined };
    const { report } = await run(true, capture);
    expect(report.summary.pass).toBe(1);
    expect(lines.find((l) => l.startsWith('kernel: debian:6.12'))).toMatch(/\(cached\)/);
    expect(lines.filter((l) => /\bbuilt\b|building|make |musl-gcc -static|configuring/.test(l))).toEqual([]);
    expect(lines.some((l) => /restoring the snapshot/.test(l))).toBe(true);
    expect(report.boots?.map((b) => b.start)).toEqual(['restore']);
  }, 60_000);

  it('two guests restored from the same snapshot place the stack and a mapping differently (the CRNG is reseeded)', async () => {
    const a = await run(true);
    const b = await run(true);
    expect([a.report.boots?.[0]?.start, b.report.boots?.[0]?.start]).toEqual(['restore', 'restore']);
    expect(a.addresses).not.toBe('');
    expect(a.addresses).not.toBe(b.addresses);
  }, 60_000);

  it('a snapshot QEMU cannot load is replaced: the run boots, passes and saves a new one', async () => {
    await writeFile(snapshot, 'not a migration stream');
    const { report } = await run(true);
    expect(report.summary.pass).toBe(1);
    expect(report.boots?.[0]).toMatchObject({ start: 'boot' });
    expect(report.boots?.[0]?.saveMs).toBeGreaterThan(0);
    expect(await checkVmState(snapshot)).toBeNull();
    expect((await stat(ramFileOf(snapshot, (await stat(snapshot)).ino))).size).toBe(spec.memoryMib * 1024 * 1024);
    expect((await run(true)).report.boots?.[0]?.start).toBe('restore');
  }, 120_000);

  it('a booted guest whose kernel counts ticks (its TSC marked unstable, as a failed calibration on a busy host leaves it) is not saved: the next run boots again', async () => {
    // tsc=unstable: what `tsc: Marking TSC unstable due to could not calculate TSC khz` does, on demand; its own snapshot key (the command line).
    const ticking: ArchSpec = { ...spec, kernelArgs: [...spec.kernelArgs, 'tsc=unstable'] };
    for (let i = 0; i < 2; i++) {
      const lines: string[] = [];
      const capture: Logger = { ...log, info: (m) => lines.push(m) };
      const { report } = await run(true, capture, ticking);
      expect(report.summary.pass).toBe(1);
      expect(report.boots?.[0]).toMatchObject({ start: 'boot', saveMs: null });
      expect(lines.filter((l) => l.startsWith('qemu: the guest kernel keeps time'))).toEqual([
        'qemu: the guest kernel keeps time in refined-jiffies (its TSC calibration failed on the busy host: the console says why), so timings inside it move in whole ticks (4 ms at HZ=250); no snapshot is saved of it, the next run boots again',
      ]);
    }
    // The same kernel with its usual clock restores as before.
    expect((await run(true)).report.boots?.[0]?.start).toBe('restore');
  }, 120_000);

  it('--no-snapshot boots the kernel and saves nothing', async () => {
    const before = (await stat(snapshot)).mtimeMs;
    const { report } = await run(false);
    expect(report.summary.pass).toBe(1);
    expect(report.boots?.[0]).toMatchObject({ start: 'boot', saveMs: null, monitorMs: null });
    expect(report.boots?.[0]?.kernelToInitMs).toBeGreaterThan(0);
    expect((await stat(snapshot)).mtimeMs).toBe(before);
  }, 120_000);
});
