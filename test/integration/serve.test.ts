// The command server (docs/serve.md) on the real kernel: `./vmaspec` hands the
// command to a worker that has a guest parked and warm; the verdict, the exit
// status and the artifacts are those of a direct run; a worker that dies
// mid-command is said and never taken for a pass; changed sources send the
// client back to a direct start; `serve --stop` leaves nothing running.
// Its own cache folder, whose kernels and sources are the real cache's (links):
// the server parks only what is cached, and a developer's own server for this
// checkout is not touched.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../runner/qemu/arch.js';
import type { RunReport } from '../../runner/report/types.js';
import { servePaths } from '../../runner/serve/daemon.js';
import { linkedCache } from '../fixtures/linked-cache.js';

const CASE = join(repoRoot, 'cases/naming/s1-name-middle-page.yaml');
const launcher = join(repoRoot, 'runner/bin/vmaspec.js');
const command = join(repoRoot, 'vmaspec');
let dir: string;
/** A copy of CASE that expects another name: it fails (written by beforeAll). */
let wrong: string;
let env: NodeJS.ProcessEnv;
let paths: ReturnType<typeof servePaths>;

/** The pids of the workers the daemon started, from its log, in order. */
const workers = async (): Promise<number[]> => [...(await readFile(paths.log, 'utf8').catch(() => '')).matchAll(/worker (\d+): starting/g)].map((m) => Number(m[1]));
/** A process that runs: not gone, and not a zombie its new parent has yet to reap (an orphan's parent here reaps every ~2 s). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** `serve --status` of this cache's server: exit 2 when none runs. */
const serveStatus = (): Promise<{ exitCode?: number; stdout: string }> => execa('node', [launcher, 'serve', '--status'], { env, reject: false });
const status = async (): Promise<string> => (await serveStatus()).stdout;

/** Waits until the server's spare worker has a warm guest parked. */
async function parkedAgain(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (/parked: a guest of .*, warm/.test(await status())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no guest parked: ${await status()}\n${await readFile(paths.log, 'utf8').catch(() => '')}`);
}

/** Starts this cache's server when none runs (a test before may have stopped it), and waits until its spare is warm. */
async function serving(): Promise<void> {
  if ((await serveStatus()).exitCode === 2) {
    const started = await execa('node', [launcher, 'serve'], { env, reject: false });
    expect(started.exitCode, started.stderr).toBe(0);
  }
  await parkedAgain();
}

let runs = 0;

/** Runs `./vmaspec run <args> --json <file>` and returns the process and the report. */
async function run(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number | undefined; stdout: string; stderr: string; report: RunReport | null }> {
  const json = join(dir, `report-${++runs}.json`);
  const r = await execa(command, ['run', ...args, '--json', json, '--artifacts', join(dir, 'artifacts')], { env: { ...env, ...extra }, reject: false });
  const report = existsSync(json) ? (JSON.parse(await readFile(json, 'utf8')) as RunReport) : null;
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), report };
}

/** The temp folders of the server's workers: their parked guests' (runner/qemu/parked.ts) and their parking's own (runner/serve/park.ts). */
const workerDirs = async (): Promise<string[]> => (await readdir(tmpdir())).filter((n) => n.startsWith('vmaspec-parked-') || /^vmaspec-serve-[A-Za-z0-9]{6}$/.test(n)).sort();
let before: string[];

beforeAll(async () => {
  before = await workerDirs();
  dir = await mkdtemp(join(tmpdir(), 'vmaspec-serve-test-'));
  wrong = join(dir, 'wrong-name.yaml');
  // The kernel and its snapshot, built and saved if this machine has none yet.
  const first = await execa('node', [launcher, 'run', CASE, '--artifacts', join(dir, 'artifacts')], { reject: false, env: { ...process.env, VMASPEC_SERVE: '0' } });
  expect(first.exitCode, first.stderr).toBe(0);
  // Snapshots are keyed by their kernel's path: this cache saves its own (and removes it with itself).
  const cache = await linkedCache(join(dir, 'cache'));
  env = { ...process.env, VMASPEC_CACHE: cache, CI: '', VMASPEC_SERVE: '' };
  paths = servePaths(cache, repoRoot);
  const saved = await execa('node', [launcher, 'run', CASE, '--artifacts', join(dir, 'artifacts')], { reject: false, env: { ...env, VMASPEC_SERVE: '0' } });
  expect(saved.exitCode, saved.stderr).toBe(0);
  await serving();
  expect(existsSync(join(paths.dir, 'client'))).toBe(true);
  // The case that fails: the one above expecting another name. Without the schema line, which names the schema relative to cases/.
  const text = (await readFile(CASE, 'utf8')).replace(/^# yaml-language-server.*\n/, '');
  expect(text).toContain('name: "[anon:a]"');
  await writeFile(wrong, text.replace('name: "[anon:a]"', 'name: "[anon:b]"'));
}, 20 * 60_000);

afterAll(async () => {
  if (paths) await execa('node', [launcher, 'serve', '--stop'], { env, reject: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the command server', () => {
  // Each test starts from a running server with a warm spare, whatever the one before it left or
  // stopped (a failure must not cascade, and the tests hold in any order).
  beforeEach(serving, 120_000);

  it('runs a command on the parked guest: the verdict, output and exit status of a direct run, and the console of the case alone', async () => {
    const served = await run([CASE]);
    expect(served.exitCode, served.stderr).toBe(0);
    expect(served.stdout).toMatch(/PASS\s+naming\/s1-name-middle-page/);
    expect(served.report?.summary).toMatchObject({ total: 1, pass: 1 });
    expect(served.report?.boots?.[0]?.start).toBe('parked');
    const runDir = join(dir, 'artifacts', 'latest');
    const console = await readFile(join(runDir, 'console-1.log'), 'utf8');
    // The warm-up ran case 0 in that guest too: its marks are not the run's.
    expect(console.match(/vmaspec: case 0 begin/g)).toHaveLength(1);
    const direct = await run([CASE], { VMASPEC_SERVE: '0' });
    expect(direct.exitCode).toBe(0);
    expect(direct.report?.boots?.[0]?.start).toBe('restore');
    expect(direct.report?.cases.map((c) => [c.id, c.verdict])).toEqual(served.report?.cases.map((c) => [c.id, c.verdict]));
    await parkedAgain();
  }, 120_000);

  it('a case that fails through the server fails: exit 1 and its failure on stdout', async () => {
    const served = await run([wrong]);
    expect(served.exitCode).toBe(1);
    expect(served.report?.summary).toMatchObject({ total: 1, fail: 1 });
    expect(served.report?.boots?.[0]?.start).toBe('parked');
    expect(served.stdout).toMatch(/FAIL/);
    expect(served.stdout).toContain('[anon:b]');
    await parkedAgain();
  }, 120_000);

  it("the guest expected to end last takes the parked guest: fork-cost's (a 57 KB archive over the virtio console), not one of the short cases'", async () => {
    const served = await run([join(repoRoot, 'cases/fork-cost'), join(repoRoot, 'cases/naming')]);
    expect(served.exitCode, served.stderr).toBe(0);
    const boots = served.report?.boots ?? [];
    expect(boots.length).toBeGreaterThan(1);
    expect(boots.filter((b) => b.start === 'parked')).toHaveLength(1);
    const parked = boots.find((b) => b.start === 'parked')!;
    // fork-cost's own lines (runner/tap: `O` records) are in that guest's result stream.
    expect(await readFile(join(dir, 'artifacts', 'latest', `results-${parked.vm}.1.txt`), 'utf8')).toContain('30000 VMAs made');
    await parkedAgain();
  }, 120_000);

  it('two commands at once: each gets a worker of its own and its own verdict', async () => {
    const [good, bad] = await Promise.all([run([CASE]), run([wrong])]);
    expect(good.exitCode, good.stderr).toBe(0);
    expect(bad.exitCode, bad.stderr).toBe(1);
    expect(good.report?.cases.map((c) => c.verdict)).toEqual(['pass']);
    expect(bad.report?.cases.map((c) => c.verdict)).toEqual(['fail']);
    await parkedAgain();
  }, 120_000);

  it('Ctrl-C at the client reaches the command in the worker: exit 130, the partial report written', async () => {
    const json = join(dir, 'interrupted.json');
    let out = '';
    const client = execa(command, ['run', '--artifacts', join(dir, 'artifacts'), '--json', json], { env, reject: false });
    client.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    // On a new cache the suite's probes are compiled before its first case runs: up to a minute and more.
    for (let i = 0; i < 2400 && !/^PASS /m.test(out) && client.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    if (!/^PASS /m.test(out)) client.kill('SIGKILL'); // a failure here must not leave the command running into the next test
    expect(out).toMatch(/^PASS /m);
    client.kill('SIGINT');
    const r = await client;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(String(r.stderr)).toMatch(/SIGINT: stopping QEMU and keeping the partial report/);
    const report = JSON.parse(await readFile(json, 'utf8')) as RunReport;
    expect(report.summary.pass).toBeGreaterThan(0);
    await parkedAgain();
  }, 240_000);

  it('a worker killed mid-command: the client says its results are lost and exits 2, not 0', async () => {
    const spare = (await workers()).at(-1)!;
    const client = execa(command, ['run', '--artifacts', join(dir, 'artifacts')], { env, reject: false });
    await new Promise((r) => setTimeout(r, 1500));
    expect(client.exitCode, 'the command ended before its worker was killed').toBe(null);
    process.kill(spare, 'SIGKILL');
    const r = await Promise.race([client, new Promise<null>((r) => setTimeout(r, 60_000, null))]);
    if (!r) client.kill('SIGKILL');
    if (!r) throw new Error('the client did not end within 60 s of its worker being killed');
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/went away before the command ended/);
    await parkedAgain();
  }, 120_000);

  it("after a change to the CLI's sources the client runs the command itself, and it passes", async () => {
    const source = join(repoRoot, 'runner/serve/frames.ts');
    const now = new Date();
    await utimes(source, now, now);
    const r = await run([CASE], { VMASPEC_SERVE_DEBUG: '1' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sources changed/);
    expect(r.report?.boots?.[0]?.start).toBe('restore');
    await parkedAgain();
  }, 120_000);

  it('serve --cache-dir DIR serves (and stops) the server of that cache', async () => {
    const other = join(dir, 'other-cache');
    const bare = { ...process.env, VMASPEC_CACHE: '', CI: '' };
    const started = await execa('node', [launcher, 'serve', '--cache-dir', other], { env: bare, reject: false });
    expect(started.exitCode, started.stderr).toBe(0);
    expect(started.stdout).toContain(`socket ${servePaths(other, repoRoot).socket}`);
    const stopped = await execa('node', [launcher, 'serve', '--cache-dir', other, '--stop'], { env: bare, reject: false });
    expect(stopped.stdout).toMatch(/stops/);
  }, 60_000);

  it('serve --stop: no daemon, no worker and no QEMU of it left', async () => {
    const daemon = Number(/\(pid (\d+),/.exec(await status())?.[1]);
    expect(alive(daemon)).toBe(true);
    const spare = (await workers()).at(-1)!;
    const qemu = readFileSync(`/proc/${spare}/task/${spare}/children`, 'utf8').trim();
    expect(qemu).not.toBe(''); // its parked guest (setpriv's exec of QEMU)
    const stopped = await execa('node', [launcher, 'serve', '--stop'], { env, reject: false });
    expect(stopped.stdout).toMatch(/stops/);
    for (let i = 0; i < 50 && existsSync(paths.socket); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(paths.socket)).toBe(false);
    await new Promise((r) => setTimeout(r, 1000));
    expect(alive(daemon), await readFile(paths.log, 'utf8')).toBe(false);
    expect((await workers()).filter(alive)).toEqual([]);
    expect(qemu.split(' ').map(Number).filter(alive)).toEqual([]);
    // Nor what the parked guests held (their console files, snapshot links) or their parking used.
    expect(await workerDirs()).toEqual(before);
    expect((await serveStatus()).exitCode).toBe(2);
  }, 60_000);
});
