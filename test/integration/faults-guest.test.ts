// Faults inside the guest that once lost results or blamed the wrong case, provoked on
// the default kernel (docs/reliability.md, "Results under faults"):
// - a probe that leaves 200 processes behind (own sessions, orphans, spinning or
//   sleeping): the next case must find none of them;
// - a probe that tries every way to write protocol lines to the result channel: each
//   must fail, and the next case keeps its own verdict;
// - a steps case that panics the kernel (OOM with vm.panic_on_oom) halfway: crashed,
//   its unrun steps `not ok` in KTAP as the kernel's kunit.py parse counts them;
// - PANICS pairs of (a case that floods the kernel log, then LKDTM PANIC) under a CPU
//   hog: every flood case passes and every panic case is the one crashed (before the
//   per-case drain of end records and the console witness, 2 of 20 floods were blamed).
import { execa, type ResultPromise } from 'execa';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCases } from '../../runner/cases/load.js';
import { buildKernelRequest } from '../../runner/kernel/request.js';
import { debianSource } from '../../runner/kernel/source.js';
import { defaultCacheDir } from '../../runner/kernel/cache.js';
import { createLogger } from '../../runner/log.js';
import { loadArch, repoRoot } from '../../runner/qemu/arch.js';
import { ktapReporter } from '../../runner/report/ktap.js';
import { formatFailures } from '../../runner/report/terminal.js';
import type { CaseReport, RunReport } from '../../runner/report/types.js';
import { artifactsFolder, runSuite } from '../../runner/run.js';
import { processesNaming } from '../fixtures/processes.js';

/** Flood + panic pairs: 5 in `npm test`, 20 in `npm run test:faults` (VMASPEC_PANICS=20). */
const PANICS = Number(process.env.VMASPEC_PANICS ?? 5);
const faults = join(repoRoot, 'test', 'fixtures', 'faults');
const health = join(repoRoot, 'test', 'fixtures', 'health');
const log = createLogger({ verbose: false, stream: process.stderr });

const ORDINARY = `title: an ordinary neighbour
requires: { kconfig: [ANON_VMA_NAME] }
steps:
  - map: { id: a, at: 2, pages: 3, prot: rw }
  - name: { region: a, page: 1, pages: 1, name: a }
  - expect: { vmas: 3 }
`;

/** A steps case whose fork tree writes 16 MiB in each of 17 processes: the 256 MiB guest runs out, and vm.panic_on_oom panics it. */
function oomCase(depth = 16): string {
  const block = (d: number, ind: number): string => {
    const sp = ' '.repeat(ind);
    if (d === 0) return `${sp}- touch: { region: a }\n${sp}- expect: { vmas: 1 }\n`;
    return `${sp}- touch: { region: a }\n${sp}- fork:\n${sp}    child:\n${block(d - 1, ind + 8)}${sp}    parent:\n${sp}        - expect: { vmas: 1 }\n`;
  };
  return `title: out of memory with vm.panic_on_oom panics the guest halfway through the steps\nwindow: 4096\ntimeout: 30\nsteps:\n  - sysctl: { key: vm.panic_on_oom, value: 1 }\n  - map: { id: a, at: 0, pages: 4096, prot: rw }\n${block(depth, 2)}  - expect: { vmas: 1 }\n  - expect: { vmas: 1 }\n`;
}

/** The case folders made, removed after the file's tests (54 of them had piled up in /tmp here). */
const folders: string[] = [];
afterAll(() => Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A folder of cases (name → YAML) with the C files they use beside them. */
async function caseFolder(cases: Record<string, string>, sources: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vmaspec-faults-guest-'));
  folders.push(dir);
  for (const s of sources) await copyFile(s, join(dir, s.split('/').pop()!));
  for (const [name, yaml] of Object.entries(cases)) await writeFile(join(dir, `${name}.yaml`), yaml);
  return dir;
}

/** One guest at a time, the cases in file order: what a case does to the next one is the point. */
async function run(casesRoot: string): Promise<{ report: RunReport; ktap: string; ms: number; left: string[] }> {
  const spec = await loadArch('x86_64');
  const artifactsDir = artifactsFolder(join(casesRoot, 'artifacts'));
  const ktap = join(casesRoot, 'report.ktap');
  const t0 = Date.now();
  const report = await runSuite({ casesRoot, paths: [], kernel: buildKernelRequest({}, spec), spec, artifactsDir, log, reporters: [ktapReporter(ktap)], vms: 1 }, await loadCases(casesRoot));
  return { report, ktap, ms: Date.now() - t0, left: (await processesNaming(casesRoot)).map((p) => `${p.pid}: ${p.cmdline.slice(0, 80)}`) };
}

const verdictOf = (report: RunReport, id: string): CaseReport => {
  const c = report.cases.find((r) => r.id === id);
  if (!c) throw new Error(`no result for ${id}`);
  return c;
};

describe('what one case does cannot reach the next', () => {
  let report: RunReport;
  let ktap: string;
  let left: string[];

  beforeAll(async () => {
    const dir = await caseFolder(
      {
        '01-leftovers': 'title: leaves 200 processes behind\ntimeout: 30\nprobe: leftovers.c\n',
        '02-count': 'title: finds no process left over\nprobe: count-processes.c\n',
        '03-forge': 'title: cannot write to the result channel\nprobe: forge-records.c\n',
        '04-ordinary': ORDINARY,
        '05-oom': oomCase(),
        '06-ordinary': ORDINARY,
      },
      ['leftovers.c', 'count-processes.c', 'forge-records.c'].map((f) => join(faults, f)),
    );
    ({ report, ktap, left } = await run(dir));
    process.stderr.write(`vmaspec: guest faults: ${report.cases.map((c) => `${c.id}=${c.verdict}`).join(' ')}\n`);
  }, 5 * 60_000);

  it('leaves no QEMU of the run behind', () => {
    expect(left).toEqual([]);
  });

  it('a probe that leaves processes behind still passes, and the next case finds none of them', () => {
    for (const id of ['01-leftovers', '02-count']) {
      const c = verdictOf(report, id);
      expect(c.verdict, formatFailures(c.failures).join('\n')).toBe('pass');
    }
  });

  it("a probe finds no way to the result channel (its node, PID 1's fds, a new node, the UART's ports), and the next case keeps its verdict", () => {
    const c = verdictOf(report, '03-forge');
    expect(c.verdict, formatFailures(c.failures).join('\n')).toBe('pass');
    expect(verdictOf(report, '04-ordinary').verdict).toBe('pass');
  });

  it('a steps case that panics is crashed with the panic as its title, and the case after it runs in a new boot', () => {
    const c = verdictOf(report, '05-oom');
    expect(c.verdict).toBe('crashed');
    expect(c.kernel?.title).toBe('Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled');
    expect(verdictOf(report, '06-ordinary').verdict).toBe('pass');
  });

  it("KTAP marks the crashed case's unrun steps not ok, and the kernel's kunit.py counts them failed, none passed", async () => {
    const steps = verdictOf(report, '05-oom').steps ?? [];
    expect(steps.slice(0, 2).map((s) => s.status)).toEqual(['pass', 'pass']);
    expect(steps.at(-1)).toMatchObject({ status: 'notrun', reason: 'the guest died before it' });
    const text = await readFile(ktap, 'utf8');
    expect(text).toMatch(/# not run: the guest died before it\n {4}not ok \d+ steps\[\d+\]\.expect\n/);
    const src = await debianSource('6.12', defaultCacheDir(), log);
    const kunit = join(src.dir, 'tools/testing/kunit/kunit.py');
    // Only the crashed case: its subtests are what kunit.py counts.
    const own = text.split('\n');
    const start = own.findIndex((l) => l.includes('# Subtest: 05-oom'));
    const end = own.findIndex((l, i) => i > start && /^not ok \d+ 05-oom$/.test(l));
    const one = ['KTAP version 1', '1..1', ...own.slice(start - 1, end), 'not ok 1 05-oom', ''].join('\n');
    const parsed = await execa('python3', [kunit, 'parse'], { input: one, reject: false });
    const totals = /Testing complete\. Ran (\d+) tests: passed: (\d+), failed: (\d+)/.exec(parsed.stdout.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(totals, parsed.stdout).not.toBeNull();
    const [ran, passed, failed] = totals!.slice(1).map(Number) as [number, number, number];
    expect(ran).toBe(steps.length);
    expect(passed).toBe(steps.filter((s) => s.status === 'pass').length);
    expect(failed).toBe(steps.length - passed);
    expect(failed).toBeGreaterThan(0);
  });
});

describe(`${PANICS} panics right after a case that floods the kernel log, under a CPU hog`, () => {
  let report: RunReport;
  let left: string[];
  let hog: ResultPromise | undefined;

  beforeAll(async () => {
    const cases: Record<string, string> = {};
    for (let i = 1; i <= PANICS; i++) {
      const n = String(i).padStart(2, '0');
      cases[`${n}-a-flood`] = `title: floods the kernel log (${n})\nprobe: kmsg-flood.c\n`;
      cases[`${n}-b-panic`] = `title: LKDTM PANIC (${n})\nrequires: { kconfig: [LKDTM] }\nprobe: lkdtm-panic.c\n`;
    }
    cases['99-ordinary'] = ORDINARY;
    const dir = await caseFolder(cases, [join(faults, 'kmsg-flood.c'), join(health, 'lkdtm-panic.c'), join(health, 'provoke.h')]);
    hog = execa('sh', ['-c', 'while :; do :; done'], { reject: false });
    const r = await run(dir);
    report = r.report;
    left = r.left;
    process.stderr.write(`vmaspec: ${PANICS} panics under load: ${report.boots?.length} boots in ${Math.round(r.ms / 1000)} s\n`);
  }, 10 * 60_000);

  afterAll(() => {
    hog?.kill('SIGKILL');
  });

  it('every flood case passes: its end record reached the host before the next case panicked', () => {
    const floods = report.cases.filter((c) => c.id.endsWith('-a-flood'));
    expect(floods).toHaveLength(PANICS);
    expect(floods.filter((c) => c.verdict !== 'pass').map((c) => `${c.id}=${c.verdict}`)).toEqual([]);
  });

  it('every panic case is the one crashed, with the panic as its title', () => {
    const panics = report.cases.filter((c) => c.id.endsWith('-b-panic'));
    expect(panics).toHaveLength(PANICS);
    for (const c of panics) {
      expect(c.verdict, c.id).toBe('crashed');
      expect(c.kernel?.title, c.id).toBe('Kernel panic - not syncing: dumptest');
    }
  });

  it('no result is lost: one boot per panic and one for the case after the last', () => {
    expect(verdictOf(report, '99-ordinary').verdict).toBe('pass');
    expect(report.boots).toHaveLength(PANICS + 1);
  });

  it('leaves no QEMU of the run behind', () => {
    expect(left).toEqual([]);
  });
});
