// QEMU process lifetime, signals and snapshot faults, provoked on the real
// `vmaspec` command (runner/bin/vmaspec.js) with a real kernel and QEMU:
// SIGKILL at several moments leaves no QEMU; SIGTERM and SIGHUP end a run like
// Ctrl-C (partial report, 128+signo, no monitor socket left); a damaged
// snapshot with two guests is replaced without a hang; a missing TMPDIR or QEMU
// is a clear error that leaves the snapshot alone. docs/reliability.md
// ("Process lifetime and snapshot faults") lists them.
//
// Each test runs in a cache of its own (a temp dir whose src/ and builds/ link
// to the real cache, so nothing is rebuilt) and an artifacts dir of its own,
// whose path is in every QEMU command line it starts: that is how its QEMUs
// are told from anyone else's.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../runner/kernel/build.js';
import { defaultCacheDir } from '../../runner/kernel/cache.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import { checkVmState, ramFileOf } from '../../runner/qemu/vmstate.js';
import { processesNaming } from '../fixtures/processes.js';

const cli = join(repoRoot, 'runner', 'bin', 'vmaspec.js');
const FAST = ['cases/naming/s1-name-middle-page.yaml', 'cases/naming/r14-len-rounds-up.yaml'];
/** Two guests: one busy ~2 s with fork-cost, the other done with the naming cases well before. */
const LONG = ['cases/fork-cost', 'cases/naming'];

let cache: string;
let scratch: string;
/** PIDs of the vmaspec processes the tests killed with SIGKILL. */
const killed: number[] = [];

interface Run {
  child: ChildProcess;
  /** The run's artifacts base: in every QEMU command line of this run. */
  marker: string;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Starts `vmaspec run` on this test's cache, with its own artifacts dir. */
async function start(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const marker = await mkdtemp(join(scratch, 'art-'));
  const t0 = Date.now();
  const child = spawn(process.execPath, [cli, 'run', '--no-color', '--cache-dir', cache, '--artifacts', marker, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })));
  return { child, marker, stdout: () => out, stderr: () => err, done };
}

/** PIDs of live QEMU processes whose command line names `marker`. */
const qemusOf = async (marker: string): Promise<number[]> => (await processesNaming(marker, 'qemu-system')).map((p) => p.pid);

/** Polls `check` every 2 ms until it holds, or fails after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** QEMUs of `marker` still up `ms` after the kill (waiting for them to go); the survivors are killed afterwards. */
async function survivors(marker: string, ms = 5_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = await qemusOf(marker);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = await qemusOf(marker);
  }
  for (const pid of left) process.kill(pid, 'SIGKILL');
  return left;
}

/** Monitor sockets of a vmaspec process. */
async function socketsOf(pid: number): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith(`vmaspec-qmp-${pid}-`));
}

/** The cached snapshot of this test's cache (there is one kernel and one initramfs). */
async function snapshotPath(): Promise<string> {
  const dir = join(cache, 'snapshots');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.vmstate'));
  expect(names).toHaveLength(1);
  return join(dir, names[0] ?? '');
}

/** report.json of a run (its artifacts base holds one run folder). */
async function reportOf(marker: string): Promise<{ summary: { total: number; pass: number }; boots?: { start: string }[] } | null> {
  const runs = (await readdir(marker)).filter((n) => n.startsWith('run-'));
  const file = join(marker, runs[0] ?? 'none', 'report.json');
  return existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : null;
}

beforeAll(async () => {
  // The default kernel, in the real cache (a cold machine may run this file first): this test links to it.
  await buildKernel(buildKernelRequest({}, await loadArch('x86_64')), createLogger({ verbose: false, stream: process.stderr }));
  scratch = await mkdtemp(join(tmpdir(), 'vmaspec-faults-'));
  cache = join(scratch, 'cache');
  const real = defaultCacheDir();
  await mkdir(cache);
  // The kernel and its source are only read: linked. The guest programs are small: copied.
  for (const d of ['src', 'builds']) await symlink(join(real, d), join(cache, d));
  for (const d of ['helpers', 'initramfs', 'probes', 'uapi', 'build-steps.json']) if (existsSync(join(real, d))) await cp(join(real, d), join(cache, d), { recursive: true });
  const first = await start(FAST); // boots and saves this cache's snapshot
  expect((await first.done).code, first.stderr()).toBe(0);
  await snapshotPath();
}, 10 * 60_000);

afterAll(async () => {
  if (scratch) {
    for (const pid of await qemusOf(scratch)) process.kill(pid, 'SIGKILL');
    await rm(scratch, { recursive: true, force: true });
  }
});

describe('QEMU dies with vmaspec, whatever kills it', () => {
  const moments: [string, string[], (run: Run) => Promise<void>][] = [
    ['at the first sight of QEMU', FAST, async (r) => until('a QEMU', async () => (await qemusOf(r.marker)).length > 0)],
    ['mid-restore (60 ms after QEMU started)', FAST, async (r) => {
      await until('a QEMU', async () => (await qemusOf(r.marker)).length > 0);
      await sleep(60);
    }],
    ['mid-boot (--no-snapshot, 300 ms after QEMU started)', ['--no-snapshot', ...FAST], async (r) => {
      await until('a QEMU', async () => (await qemusOf(r.marker)).length > 0);
      await sleep(300);
    }],
    ['mid-run (a guest has started its cases)', LONG, async (r) => {
      await until('a case mark on a console', async () => {
        const runs = await readdir(r.marker).catch(() => [] as string[]);
        for (const run of runs.filter((n) => n.startsWith('run-'))) {
          for (const f of (await readdir(join(r.marker, run))).filter((n) => n.startsWith('console-'))) {
            if (/vmaspec: case \d/.test(await readFile(join(r.marker, run, f), 'latin1'))) return true;
          }
        }
        return false;
      });
    }],
  ];
  for (const [moment, args, wait] of moments) {
    it(`SIGKILL ${moment}: no QEMU of the run survives`, async () => {
      const run = await start(['--jobs', '2', ...args]);
      await wait(run);
      run.child.kill('SIGKILL');
      await run.done;
      killed.push(run.child.pid ?? 0);
      expect(await survivors(run.marker)).toEqual([]);
    }, 60_000);
  }

  it('the next run removes what the killed ones left: monitor sockets and private links to the snapshot', async () => {
    const run = await start(FAST);
    expect((await run.done).code, run.stderr()).toBe(0);
    for (const pid of killed) expect(await socketsOf(pid)).toEqual([]);
    const left = await readdir(join(cache, 'snapshots'));
    const state = await snapshotPath();
    // The state and its RAM file, nothing else.
    expect(left.filter((n) => n !== basename(state))).toEqual([basename(ramFileOf(state, (await stat(state)).ino))]);
  }, 60_000);
});

describe('SIGTERM and SIGHUP end a run like Ctrl-C', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129], ['SIGINT', 130]] as const) {
    it(`${signal}: the partial report is written, exit ${code}, no QEMU and no monitor socket left`, async () => {
      const run = await start(['--jobs', '2', ...LONG]);
      await until('a first verdict', () => /^PASS /m.test(run.stdout()));
      run.child.kill(signal);
      const { code: exit, ms } = await run.done;
      expect(exit, run.stderr()).toBe(code);
      expect(ms).toBeLessThan(30_000);
      const report = await reportOf(run.marker);
      expect(report?.summary.pass).toBeGreaterThan(0);
      expect(await socketsOf(run.child.pid ?? 0)).toEqual([]);
      expect(await survivors(run.marker, 1_000)).toEqual([]);
    }, 60_000);
  }
});

describe('a damaged snapshot with two guests', () => {
  /** The snapshot's RAM file (named by the state's inode). */
  const ramOf = async (f: string): Promise<string> => ramFileOf(f, (await stat(f)).ino);
  const damages: [string, (file: string) => Promise<void>][] = [
    ['garbage', (f) => writeFile(f, 'not a migration stream')],
    ['truncated to half', async (f) => truncate(f, Math.floor((await stat(f)).size / 2))],
    ['empty', (f) => writeFile(f, '')],
    // Whole in shape, so QEMU itself has to refuse it: noise over the device state after the header.
    ['noise inside', async (f) => {
      const file = await open(f, 'r+');
      await file.write(randomBytes(4096), 0, 4096, 64);
      await file.close();
    }],
    ['its RAM file missing', async (f) => rm(await ramOf(f))],
    ['its RAM file truncated to half', async (f) => truncate(await ramOf(f), Math.floor((await stat(await ramOf(f))).size / 2))],
  ];
  for (const [damage, harm] of damages) {
    it(`${damage}: both guests boot and pass, nobody hangs, a new snapshot is saved and restored next time`, async () => {
      const file = await snapshotPath();
      await harm(file);
      const run = await start(['--jobs', '2', ...FAST]);
      const { code, ms } = await run.done;
      expect(code, run.stderr()).toBe(0);
      expect(ms).toBeLessThan(30_000);
      expect((await reportOf(run.marker))?.summary.pass).toBe(2);
      expect(run.stderr().match(/is damaged/g), run.stderr()).toHaveLength(1); // found and said once, for both guests
      expect(await checkVmState(file)).toBeNull();
      expect((await stat(await ramOf(file))).size).toBe((await loadArch('x86_64')).memoryMib * 1024 * 1024);
      const next = await start(['--jobs', '1', FAST[0] ?? '']);
      expect((await next.done).code, next.stderr()).toBe(0);
      expect((await reportOf(next.marker))?.boots?.map((b) => b.start)).toEqual(['restore']);
    }, 120_000);
  }
});

describe('environment faults are not a damaged snapshot', () => {
  it('a missing TMPDIR is a clear error, and the snapshot stays', async () => {
    const file = await snapshotPath();
    const before = await stat(file);
    const run = await start(FAST, { ...process.env, TMPDIR: '/nonexistent' });
    const { code } = await run.done;
    expect(code).toBe(2);
    expect(run.stderr()).toMatch(/E_TMPDIR: .*\/nonexistent/);
    expect(run.stderr()).not.toMatch(/internal error|did not restore/);
    expect((await stat(file)).ino).toBe(before.ino);
  }, 60_000);

  it('QEMU missing from PATH is E_TOOL_MISSING naming the binary, the package and the setup, before any kernel work', async () => {
    // PATH: every program of /usr/bin and /bin but QEMU's.
    const bin = join(scratch, 'bin-without-qemu');
    await mkdir(bin, { recursive: true });
    for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!name.startsWith('qemu-system') && !existsSync(join(bin, name))) await symlink(join(dir, name), join(bin, name));
      }
    }
    const file = await snapshotPath();
    const before = await stat(file);
    const run = await start(FAST, { ...process.env, PATH: bin });
    expect((await run.done).code).toBe(2);
    const err = run.stderr();
    expect(err).toMatch(/E_TOOL_MISSING: .*qemu-system-x86_64/);
    expect(err).toMatch(/qemu-system-x86/);
    expect(err).toMatch(/npm run setup/);
    expect(err).not.toMatch(/internal error|kernel: debian/);
    expect((await stat(file)).ino).toBe(before.ino);
  }, 60_000);
});
