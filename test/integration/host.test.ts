// `vmaspec run --kernel host` on this machine's running kernel (no VM): real cases of cases/
// and the fixtures of test/fixtures/host/ (a private /tmp, a grandchild that leaves its
// session, a probe that outlives its timeout, cases the host must skip). Afterwards the
// machine is as before: every readable sysctl of /proc/sys/vm and /proc/sys/kernel has its
// value, no process of a case lives, and /tmp holds none of the probes' files. Then the
// command line itself: --jobs, --shard, the JSON, KTAP and JUnit reports.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCases } from '../../runner/cases/load.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { silentLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import type { CaseReport, RunReport } from '../../runner/report/types.js';
import { runSuite } from '../../runner/run.js';
import { processesNaming } from '../fixtures/processes.js';

const root = process.getuid?.() === 0;
const fixtures = join(repoRoot, 'test', 'fixtures', 'host');
/** Cases of cases/ that need nothing this machine lacks (no ANON_VMA_NAME here) and that the host must skip. */
const REAL = ['pagemap/pg1-present-after-touch', 'mmap-flags/fixed-noreplace', 'merge/m2-vm-account-after-mprotect', 'errors/p2-feature-off-einval', 'sysctl/s18-max-map-count', 'fault/r5-allocation-failure'];

/** Counters the kernel moves on its own (any process start, any read), left out of the comparison. */
const VOLATILE = new Set([
  'kernel/ns_last_pid', // the last pid handed out
  'kernel/random/uuid', // a new UUID at every read
  'kernel/random/entropy_avail', // the input pool's estimate
  'kernel/pty/nr', // ptys open on the machine
]);

/** Every readable sysctl under /proc/sys/vm and /proc/sys/kernel with its value. */
async function sysctls(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const top of ['vm', 'kernel']) {
    const entries = await readdir(join('/proc/sys', top), { recursive: true, withFileTypes: true });
    for (const e of entries.filter((x) => x.isFile())) {
      const file = join(e.parentPath, e.name);
      const key = file.slice('/proc/sys/'.length);
      if (VOLATILE.has(key)) continue;
      const value = await readFile(file, 'utf8').catch(() => null); // write-only (drop_caches) and the like
      if (value !== null) out.set(key, value);
    }
  }
  return out;
}

/** Pids of processes whose mount namespace holds a case tmpfs of this process's run (runner/host/sandbox.ts). */
async function caseNamespaces(): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^[0-9]+$/.test(n));
  const tag = ` - tmpfs vmaspec-host-${process.pid}-`;
  const hits = await Promise.all(pids.map(async (p) => ((await readFile(`/proc/${p}/mountinfo`, 'utf8').catch(() => '')).includes(tag) ? Number(p) : null)));
  return hits.filter((p): p is number => p !== null);
}

/** The names the probes would leave in /tmp: tmpfs backings (/tmp/vmaspec-<id>) and the sysctl journal. */
const PROBE_FILES = ['vmaspec-f', 'vmaspec-g', 'vmaspec-sysctl-journal'];

let report: RunReport;
let before: Map<string, string>;
let after: Map<string, string>;
let scratch: string;
let tmpBefore: Set<string>;

const byId = (id: string): CaseReport => {
  const c = report.cases.find((r) => r.id === id);
  if (!c) throw new Error(`no result for ${id}`);
  return c;
};

beforeAll(async () => {
  if (!root) return;
  // The cache under /tmp: the probes' binaries lie below the /tmp each case replaces (bound back in).
  scratch = await mkdtemp(join(tmpdir(), 'vmaspec-host-test-'));
  const cases = [...(await loadCases(join(repoRoot, 'cases'), REAL.map((id) => join(repoRoot, 'cases', `${id}.yaml`)))), ...(await loadCases(fixtures))];
  const spec = await loadArch('x86_64');
  tmpBefore = new Set(await readdir('/tmp'));
  before = await sysctls();
  report = await runSuite({ casesRoot: join(repoRoot, 'cases'), paths: [], kernel: buildKernelRequest({ host: true, cacheDir: join(scratch, 'cache') }, spec), spec, artifactsDir: join(scratch, 'artifacts'), log: silentLogger, reporters: [], vms: 2 }, cases);
  after = await sysctls();
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.skipIf(!root)('vmaspec run --kernel host', () => {
  it('ran on the running kernel, with no VM', () => {
    expect(report.kernel).toMatchObject({ release: release(), source: 'host' });
    expect(report.accel).toBeUndefined();
    expect(report.boots).toBeUndefined();
  });

  it('judged the real cases as the guest does: pass, or skip with the reason', () => {
    for (const id of ['pagemap/pg1-present-after-touch', 'mmap-flags/fixed-noreplace', 'merge/m2-vm-account-after-mprotect', 'errors/p2-feature-off-einval']) {
      expect(byId(id).verdict, JSON.stringify(byId(id).failures)).toBe('pass');
    }
    expect(byId('sysctl/s18-max-map-count').skipReason).toMatch(/^writes the sysctl vm\.max_map_count \(steps\[\d\]\): sysctls are global/);
    expect(byId('fault/r5-allocation-failure').skipReason).toMatch(/^injects an allocation failure \(fail_nth, steps\[\d\]\)/);
  });

  it('gave the probe its sandbox: root, the guest\'s capabilities, a private empty /tmp, read-only /proc/sys and /sys', () => {
    const c = byId('sandbox');
    expect(c.verdict, JSON.stringify(c.failures)).toBe('pass');
  });

  it('put a tmpfs backing on the case\'s private /tmp under the guest\'s name', () => {
    const c = byId('tmpfs-file');
    expect(c.verdict, JSON.stringify(c.failures)).toBe('pass');
  });

  it('skips what the host must not do, with the reason', () => {
    expect(byId('sysctl').skipReason).toBe('writes the sysctl vm.max_map_count (steps[1]): sysctls are global, and a run on the host changes nothing');
    expect(byId('lkdtm').skipReason).toMatch(/^provokes kernel faults through LKDTM: .*\(requires CONFIG_LKDTM\)$/);
  });

  it('killed a probe at its timeout', () => {
    const c = byId('timeout');
    expect(c.verdict).toBe('broken');
    expect(c.failures.map((f) => f.message).join('\n')).toMatch(/timed out after 1000 ms/);
  });

  it('ended the grandchild that left the probe\'s session', async () => {
    const c = byId('leftover');
    expect(c.verdict, JSON.stringify(c.failures)).toBe('pass');
    const results = (await readdir(join(scratch, 'artifacts'))).filter((f) => f.startsWith('results-host'));
    const streams = (await Promise.all(results.map((f) => readFile(join(scratch, 'artifacts', f), 'utf8')))).join('\n');
    const pid = Number(/^O # grandchild ([0-9]+)$/m.exec(streams)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    expect(stat === '' || / Z /.test(stat), stat).toBe(true);
  });

  it('left every sysctl of /proc/sys/vm and /proc/sys/kernel as it was', () => {
    expect(before.size).toBeGreaterThan(50);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k, v]) => `${k}: ${v.trim()} -> ${after.get(k)?.trim()}`);
    expect(changed).toEqual([]);
  });

  it('left no process of a case and nothing of the probes in /tmp', async () => {
    expect(await caseNamespaces()).toEqual([]);
    expect(await processesNaming(join(scratch, 'cache'))).toEqual([]);
    const added = (await readdir('/tmp')).filter((n) => !tmpBefore.has(n));
    expect(added.filter((n) => PROBE_FILES.includes(n))).toEqual([]);
    for (const f of PROBE_FILES) expect(existsSync(join('/tmp', f)), f).toBe(false);
  });
});

const run = promisify(execFile);

/** `vmaspec run --kernel host …`: its exit code, stdout and stderr. */
async function vmaspec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [join(repoRoot, 'runner', 'bin', 'vmaspec.js'), 'run', '--kernel', 'host', ...args], { cwd: repoRoot, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe.skipIf(!root)('vmaspec run --kernel host on the command line', () => {
  const paths = REAL.map((id) => `cases/${id}.yaml`);

  it('runs with --jobs and writes the JSON, KTAP and JUnit reports; no QEMU or KVM check', async () => {
    const out = join(scratch, 'cli');
    const r = await vmaspec(['--jobs', '2', '--artifacts', join(out, 'artifacts'), '--json', join(out, 'r.json'), '--ktap', join(out, 'r.ktap'), '--junit', join(out, 'r.xml'), ...paths]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^kernel: host /m);
    expect(r.stderr).not.toMatch(/qemu|KVM|TCG/i);
    const json = JSON.parse(await readFile(join(out, 'r.json'), 'utf8')) as RunReport;
    expect(json.cases.map((c) => c.id).sort()).toEqual([...REAL].sort());
    expect(json.summary.pass + json.summary.skip).toBe(REAL.length);
    expect(await readFile(join(out, 'r.ktap'), 'utf8')).toMatch(/^KTAP version 1\n(#.*\n)*1\.\.6\n/);
    expect(await readFile(join(out, 'r.xml'), 'utf8')).toMatch(/<testsuites[^>]* tests="6"/);
  }, 60_000);

  it('splits the cases with --shard: the two halves are the whole', async () => {
    const ids: string[] = [];
    for (const shard of ['1/2', '2/2']) {
      const file = join(scratch, `shard-${shard.replace('/', '-')}.json`);
      const r = await vmaspec(['--shard', shard, '--artifacts', join(scratch, 'cli', 'artifacts'), '--json', file, ...paths]);
      expect(r.code, r.stderr).toBe(0);
      ids.push(...(JSON.parse(await readFile(file, 'utf8')) as RunReport).cases.map((c) => c.id));
    }
    expect(ids.sort()).toEqual([...REAL].sort());
  }, 60_000);

  it('refuses what cannot apply to the running kernel', async () => {
    const r = await vmaspec(['--patch', 'x.patch', paths[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kernel host runs the kernel this machine runs, as it is: --patch cannot apply to it/);
    const s = await vmaspec(['--no-snapshot', paths[0]!]);
    expect(s.stderr).toMatch(/--no-snapshot: --kernel host boots no guest/);
  });
});
