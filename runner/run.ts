// One run, stage by stage: load cases → build kernel and helpers → compile
// plans → boot (again after a crash, for the cases left) → judge → report.
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { CaseError, compareDiagnostics } from './cases/diagnostics.js';
import { loadDocCases } from './cases/doc-examples.js';
import { loadCases } from './cases/load.js';
import type { ParseCache } from './cases/parse-cache.js';
import type { Case, ProbeSource } from './cases/types.js';
import type { LogLine } from './health/log.js';
import { VmaspecError } from './errors.js';
import { buildHelpers, type HelperBinaries } from './guest/helpers.js';
import { cachedInitramfs, writePayload, type ProbeCase } from './guest/initramfs.js';
import { installHeadersEarly, probeFiles, type ProbeFile } from './guest/kernel-headers.js';
import { probeBuilder } from './guest/probes.js';
import { buildKernel } from './kernel/build.js';
import { unmetRequirement } from './kernel/requirements.js';
import { kernelSlowdown, slowOptionsOf } from './kernel/slowdown.js';
import type { BuiltKernel, KernelRequest } from './kernel/types.js';
import { versionCoverage, versionNotes, versionSummary, type VersionCoverage } from './kernel/version-coverage.js';
import { describeRunningKernel, runningKernel, type RunningKernel } from './host/kernel.js';
import { hostSkipReason } from './host/policy.js';
import { HOST_LOG_NOTE } from './host/kmsg.js';
import { preflightSandbox } from './host/sandbox.js';
import { superviseCases, type HostCase } from './host/supervisor.js';
import type { Logger } from './log.js';
import { compileCase } from './plan/compile.js';
import { caseCost, readDurations, saveDurations } from './plan/durations.js';
import { planGuests } from './plan/split.js';
import { hostTscKhz } from './qemu/host-tsc.js';
import type { CompiledCase } from './plan/compiled.js';
import { serializePlan } from './plan/plan.js';
import type { KernelFacts } from './plan/when.js';
import type { Accel, ArchSpec } from './qemu/arch.js';
import type { BootRequest } from './qemu/argv.js';
import { bootGuest, type BootOptions } from './qemu/boot.js';
import { bootFromSnapshot, snapshotFile } from './qemu/snapshot.js';
import { takeParked } from './qemu/parked.js';
import { failureTail } from './qemu/console-tail.js';
import { repoRoot, resultsChannel } from './qemu/arch.js';
import { loadKnownSplats } from './health/allowlist.js';
import { attributeLines, type Attribution } from './health/attribute.js';
import { caseFates, diedRecord } from './health/fate.js';
import { judgeCaseHealth } from './health/case.js';
import { consoleLines } from './health/log.js';
import { CaseWatchdog, type Expiry } from './health/watchdog.js';
import { chooseAccel, type AccelChoice } from './qemu/kvm.js';
import { stepResults, topStep } from './report/steps.js';
import { BootClock, type BootTiming } from './qemu/timing.js';
import { caseReport, emit, runReport } from './report/build.js';
import type { CaseReport, KernelInfo, Reporter, RunReport } from './report/types.js';
import { casesByIndex, parseResultStream } from './results/stream.js';
import type { CaseRecord } from './results/types.js';
import { wrapSelftest } from './tap/selftest.js';
import { judgeProbe } from './tap/verdict.js';
import { judgeCase, skipVerdict } from './verdict/judge.js';

export interface RunRequest {
  casesRoot: string;
  /** Case files or folders to run; empty runs every case under casesRoot. */
  paths: string[];
  kernel: KernelRequest;
  spec: ArchSpec;
  /** Where console logs, result streams, plans and the report go. */
  artifactsDir: string;
  log: Logger;
  reporters: Reporter[];
  signal?: AbortSignal;
  /** Kernel reports the run accepts (runner/health/allowlist.ts); default `known-splats.yaml` at the top of the repository. */
  knownSplats?: string;
  /** Guests booted side by side, each with its share of the cases (default: the host's cores). */
  vms?: number;
  /** Start guests from a snapshot of a booted one, saved by the first boot (default: when qemu/<arch>.yaml allows). */
  snapshots?: boolean;
  /** Every line of each smaps block, not only those the case's expectations read (runner/plan/observe-compile.ts). */
  fullViews?: boolean;
  /** Each case's plan and what the guest reported of it (undefined: nothing), as it is judged (vmaspec explore keeps the records). */
  onRecord?: (c: Case, compiled: CompiledCase, record: CaseRecord | undefined) => void;
  /** Keep the cases' durations in the cache for later runs to share out (default true; generated cases have none to keep). */
  saveDurations?: boolean;
}

/** What a command that runs the suite more than once (gate, matrix, explore) passes on to each run. */
export type GuestRunOptions = Pick<RunRequest, 'spec' | 'artifactsDir' | 'log' | 'signal' | 'vms' | 'snapshots'>;

/** A case ready to boot: its plan and where it came from. */
interface Runnable {
  case: Case;
  compiled: CompiledCase;
  /** The built custom probe of a `probe:` case (it runs instead of the plan). */
  probe?: string;
}

/** Seconds a boot may take beyond the cases' own timeouts before the host watchdog kills QEMU. */
const BOOT_ALLOWANCE_MS = { tcg: 60_000, kvm: 20_000 } as const;
/** Per-case slack on top of its timeout (process start, snapshots, serial output). */
const CASE_SLACK_MS = 2_000;
/** The supervisor's kill path after a case's timeout (c-helpers/init.c: DRAIN_MS + KILL_WAIT_MS), and its K records. */
const GUEST_KILL_MS = 5_000;
/** Between cases: from an end record to the next begin or `D`, and from `D` to QEMU's exit. */
const CASE_GAP_MS = 10_000;

/**
 * Loads and validates the cases (nothing is built before they are valid): case files and
 * folders under casesRoot, and Markdown pages (`docs/cases.md`) whose ```yaml blocks are cases.
 */
export async function loadSuite(casesRoot: string, paths: string[], cache?: ParseCache): Promise<Case[]> {
  const pages = paths.filter((p) => p.endsWith('.md'));
  const files = paths.filter((p) => !p.endsWith('.md'));
  const loads = [
    ...(files.length > 0 || pages.length === 0 ? [loadCases(casesRoot, files.length > 0 ? files.map((p) => resolve(p)) : undefined, cache)] : []),
    ...pages.map((p) => loadDocCases(p)),
  ];
  const settled = await Promise.allSettled(loads);
  const diagnostics = settled.flatMap((r) => (r.status === 'rejected' && r.reason instanceof CaseError ? r.reason.diagnostics : []));
  const other = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof CaseError));
  if (other) throw other.reason;
  if (diagnostics.length > 0) throw new CaseError(diagnostics.sort(compareDiagnostics));
  return settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
}

/** Creates the artifacts folder (and its plans/); a `run-…` folder becomes `artifacts/latest`. */
export async function prepareArtifacts(dir: string): Promise<void> {
  await mkdir(join(dir, 'plans'), { recursive: true });
  // `artifacts/latest` names the newest run folder; the runs inside a gate's folder (base, change) get none.
  if (!basename(dir).startsWith('run-')) return;
  const latest = join(dir, '..', 'latest');
  await rm(latest, { force: true });
  await symlink(dir, latest).catch(() => undefined);
}

/** KVM, when a full boot of this kernel with no cases proves it; else TCG with the reason. */
async function pickAccel(request: Pick<RunRequest, 'kernel' | 'artifactsDir' | 'log'>, kernel: BuiltKernel, initrd: string): Promise<AccelChoice> {
  const { log } = request;
  const spec = kernel.machine;
  return chooseAccel(spec.binary, request.kernel.cacheDir, log, async () => {
    const payload = join(request.artifactsDir, 'payload-kvm-probe.cpio');
    await writePayload(payload, []);
    const results = resultsChannel(spec, kernel.config);
    const outcome = await bootGuest(spec, { kernel: kernel.image, initrd, consoleLog: join(request.artifactsDir, 'kvm-probe-console.log'), accel: 'kvm', append: [], results, payload }, { timeoutMs: 15_000, log });
    return parseResultStream(outcome.stream).complete ? null : outcome.timedOut ? 'a test boot under KVM hung' : `a test boot under KVM failed (exit ${outcome.exitCode})`;
  });
}

/** How a run's guests start: the machine the kernel boots on, its QEMU inputs, the accelerator, and the snapshot they restore (null: they boot). */
export interface GuestMachine {
  /** The request's machine, or its `otherwise` for a kernel without what its image needs (qemu/*.yaml). */
  guest: ArchSpec;
  machine: Pick<BootRequest, 'kernel' | 'initrd' | 'accel' | 'append' | 'results'>;
  accel: AccelChoice;
  snapshot: string | null;
}

/** The guest machine of `kernel` for a run (the command server parks one the same way: runner/serve/park.ts). */
export async function guestMachine(request: Pick<RunRequest, 'kernel' | 'artifactsDir' | 'log' | 'snapshots'>, kernel: BuiltKernel, helpers: HelperBinaries): Promise<GuestMachine> {
  const initrd = await cachedInitramfs(request.kernel.cacheDir, helpers);
  const accel = await pickAccel(request, kernel, initrd);
  const guest = kernel.machine;
  const tscKhz = accel.accel === 'tcg' && guest.tcgTscKhzArg ? await hostTscKhz(request.kernel.cacheDir, request.log) : null;
  const append = tscKhz === null ? [] : [`${guest.tcgTscKhzArg}=${tscKhz}`];
  const machine = { kernel: kernel.image, initrd, accel: accel.accel, append, results: resultsChannel(guest, kernel.config) };
  const snapshot = guest.snapshots && request.snapshots !== false ? await snapshotFile(request.kernel.cacheDir, guest, { ...machine, consoleLog: '', payload: '' }) : null;
  return { guest, machine, accel, snapshot };
}

/** The kernel the cases run on: one vmaspec built and boots, or the one this machine runs (`--kernel host`). */
type Target = { kind: 'guest'; kernel: BuiltKernel } | { kind: 'host'; kernel: RunningKernel };

/** The kernel stage: the built (or cached) kernel, or the running kernel's facts; its .config goes into the artifacts. */
async function kernelStage(request: RunRequest): Promise<Target> {
  const { log, artifactsDir } = request;
  if (request.kernel.source.kind === 'host') {
    await preflightSandbox();
    const kernel = await runningKernel();
    log.info(describeRunningKernel(kernel));
    if (kernel.configText !== null) await writeFile(join(artifactsDir, 'kernel.config'), kernel.configText);
    return { kind: 'host', kernel };
  }
  const kernel = await buildKernel(request.kernel, log);
  log.info(`kernel: ${kernel.label} ${kernel.release}${kernel.cached ? ' (cached)' : ''} ${kernel.image}`);
  await copyFile(kernel.configPath, join(artifactsDir, 'kernel.config'));
  return { kind: 'guest', kernel };
}

/** Where a probe case's C file is; on the host only a case's own (the policy skips the kernel tree's). */
const hostProbeFile = async (probe: ProbeSource): Promise<ProbeFile> => (probe.from === 'case' ? { source: probe.abs } : { skip: `${probe.path}: the running kernel has no source tree here` });

export async function runSuite(request: RunRequest, cases: Case[]): Promise<RunReport> {
  const { log, spec, artifactsDir } = request;
  const started = new Date();
  const knownFile = request.knownSplats ?? join(repoRoot, 'known-splats.yaml');
  const known = await loadKnownSplats(knownFile, relative(process.cwd(), knownFile) || knownFile);
  await prepareArtifacts(artifactsDir);
  // The guest programs build (or are found in the cache) while the kernel stage runs.
  const helpersBuilt = buildHelpers(request.kernel.cacheDir, log);
  helpersBuilt.catch(() => undefined); // awaited below, after the kernel
  // And the UAPI headers the selftests compile against, from the source alone.
  const earlyHeaders = cases.some((c) => c.probe?.from === 'kernel') ? await installHeadersEarly(request.kernel, log) : null;
  const target = await kernelStage(request);
  const helpers = await helpersBuilt;
  // Without a .config (a host that keeps none) the host's policy has skipped every case with a Kconfig guard.
  const facts: KernelFacts = { release: target.kernel.release, config: target.kernel.config ?? new Map() };
  const slowdown = kernelSlowdown(facts.config);
  if (slowdown > 1) log.info(`kernel: run-time checkers (${slowOptionsOf(facts.config).join(', ')}): case timeouts and the boot watchdog x${slowdown}`);
  const pageSize = target.kind === 'host' ? target.kernel.pageSize : spec.pageSize;

  const kernelInfo: KernelInfo =
    target.kind === 'host' ? { release: facts.release, arch: target.kernel.machine, source: 'host', id: target.kernel.key } : { release: facts.release, arch: spec.arch, source: target.kernel.label, id: target.kernel.key };
  const reports = new Map<string, CaseReport>();
  const coverage = new Map<string, VersionCoverage>();
  await emit(request.reporters, 'onRunStart', { kernel: kernelInfo, started: started.toISOString(), cases: cases.length });
  const done = async (c: Case, report: CaseReport): Promise<void> => {
    // A kernel outside every version guard of the case is told in a note (runner/kernel/version-coverage.ts).
    const cov = versionCoverage(c, facts.release);
    coverage.set(c.id, cov);
    const notes = [...(report.notes ?? []), ...versionNotes(cov, facts.release)];
    const full = notes.length > 0 ? { ...report, notes } : report;
    reports.set(c.id, full);
    await emit(request.reporters, 'onCaseDone', full);
  };

  let pending: Runnable[] = [];
  // The plans as the artifacts keep them, written side by side (one after another took ~1 ms each).
  const planWrites: Promise<void>[] = [];
  const keepPlan = (write: Promise<void>): void => {
    write.catch(() => undefined); // awaited (and thrown) after the loop; not an unhandled rejection meanwhile
    planWrites.push(write);
  };
  const buildProbe = probeBuilder(request.kernel.cacheDir, log);
  const probeFile = target.kind === 'host' ? hostProbeFile : probeFiles(target.kernel, request.kernel.arch, request.kernel.cacheDir, log, earlyHeaders);
  for (const c of cases) {
    const reason = (target.kind === 'host' ? hostSkipReason(c, target.kernel) : null) ?? unmetRequirement(c.requires, facts);
    if (reason) {
      await done(c, caseReport(c, skipVerdict(reason)));
      continue;
    }
    if (c.probe) {
      const file = await probeFile(c.probe);
      if ('skip' in file) {
        await done(c, caseReport(c, skipVerdict(file.skip)));
        continue;
      }
      const built = await buildProbe(file.source, file.tree);
      if (!built.ok) {
        const failure = { kind: 'harness' as const, message: `probe: ${built.message}`, path: 'probe', pos: c.probe.pos, proc: null, step: null, details: built.output };
        await done(c, caseReport(c, { verdict: 'broken', failures: [failure], durationMs: null, notes: [] }));
        continue;
      }
      const compiled = compileCase(c, pending.length, pageSize, facts, request.fullViews);
      pending.push({ case: c, compiled, probe: built.binary });
      keepPlan(writeFile(join(artifactsDir, 'plans', `${compiled.plan.index}.probe`), `# ${c.id}\n# ${file.source}\n${built.binary}\n`));
      continue;
    }
    const compiled = compileCase(c, pending.length, pageSize, facts, request.fullViews);
    pending.push({ case: c, compiled });
    keepPlan(writeFile(join(artifactsDir, 'plans', `${compiled.plan.index}.plan`), `# ${c.id}\n${serializePlan(compiled.plan)}`));
  }
  await Promise.all(planWrites);

  /** The verdict of one case from what its probe reported (the record), with the kernel's health during it. */
  const judgeRecord = async (runnable: Runnable, record: CaseRecord | undefined, health: { console?: readonly LogLine[]; watchdog?: string }): Promise<void> => {
    request.onRecord?.(runnable.case, runnable.compiled, record);
    const probe = runnable.case.probe;
    const asRun = { ...runnable.case, timeoutMs: runnable.compiled.plan.timeoutMs };
    const base = runnable.probe ? judgeProbe(asRun, probe?.from === 'kernel' ? wrapSelftest(record, probe.path) : record) : judgeCase(runnable.compiled, runnable.case, record);
    const judged = await judgeCaseHealth({ caseId: runnable.case.id, verdict: base, record, console: health.console, known, release: facts.release, artifactsDir, ...(health.watchdog ? { watchdog: health.watchdog } : {}) });
    // The running kernel's log is the machine's: a report in it during a case may come from anything else running then.
    const verdict = target.kind === 'host' && judged.kernel ? { ...judged, notes: [...judged.notes, HOST_LOG_NOTE] } : judged;
    const steps = runnable.compiled.steps;
    const ran = new Set(steps.map((s) => topStep(s.origin.path)));
    const unreported = new Set(steps.filter((s) => !record?.steps.has(s.op.step)).map((s) => topStep(s.origin.path)));
    const why = record?.end ? 'the probe stopped before it' : target.kind === 'host' ? 'the run stopped before it' : 'the guest died before it';
    await done(runnable.case, caseReport(runnable.case, verdict, runnable.probe ? undefined : stepResults(runnable.case, ran, verdict.failures, { paths: unreported, why })));
  };

  const boots: BootTiming[] = [];
  /** Case id → the part of its run the guest's CPU was idle (ms), for the durations kept for later runs. */
  const idleMs = new Map<string, number>();
  /** Boots guests of the built kernel for groups of cases (each with its share); the accelerator it chose. */
  const guestRunner = async (kernel: BuiltKernel): Promise<{ runGroup: (group: Runnable[], vm: number, tag: string) => Promise<void>; accel: Accel }> => {
    const { guest, machine, accel, snapshot } = await guestMachine(request, kernel, helpers);
    if (accel.reason) log.info(`qemu: software emulation (TCG): ${accel.reason}`);
    if (guest.arch !== spec.arch) log.info(`qemu: ${kernel.label} has no CONFIG_${spec.imageNeeds}: booting ${basename(guest.kernelImage)} on -M ${guest.machine} (qemu/${guest.arch}.yaml)`);
    if (snapshot) log.verbose(`qemu: ${existsSync(snapshot) ? 'restoring' : 'booting, then saving'} the snapshot ${snapshot}`);

    /** Boots one guest after another for a group of cases until each has a verdict (a crash ends a boot; the rest go on in the next). */
    const runGroup = async (group: Runnable[], vm: number, tag: string): Promise<void> => {
      let pending = group;
      const lostOnce = new Set<number>(); // cases whose results a dying guest took along: run again once, then judged on what came
      for (let boot = 1; pending.length > 0; boot++) {
        const name = `${tag}${boot}`;
        if (request.signal?.aborted) break;
        const payload = join(artifactsDir, `payload-${name}.cpio`);
        const probes = pending.flatMap((r): ProbeCase[] => (r.probe ? [{ index: r.compiled.plan.index, timeoutMs: r.compiled.plan.timeoutMs, binary: r.probe }] : []));
        await writePayload(payload, pending.filter((r) => !r.probe).map((r) => r.compiled.plan), probes);
        const byIndex = new Map(pending.map((r) => [r.compiled.plan.index, r]));
        // Plan timeouts already carry the kernel's slowdown factor; the boot's allowance gets it here.
        const timeoutMs = BOOT_ALLOWANCE_MS[accel.accel] * slowdown + pending.reduce((sum, r) => sum + r.compiled.plan.timeoutMs + CASE_SLACK_MS, 0);
        log.verbose(`boot ${name}: ${pending.length} case(s), watchdog ${Math.round(timeoutMs / 1000)} s`);
        let text = '';
        let records: Map<number, CaseRecord> | null = null; // parsed once the boot is over
        // Console lines by case (its `vmaspec: case <i>` marks), filled once the boot is over.
        let marks: Attribution = { cases: new Map<number, LogLine[]>(), ended: new Set(), outside: [] };
        const kill = new AbortController();
        const clock = new BootClock();
        const watchdog = new CaseWatchdog(
          { bootMs: BOOT_ALLOWANCE_MS[accel.accel] * slowdown, caseMs: (i) => (byIndex.get(i)?.compiled.plan.timeoutMs ?? 0) + (CASE_SLACK_MS + GUEST_KILL_MS) * slowdown, gapMs: CASE_GAP_MS * slowdown },
          (e: Expiry) => {
            log.info(`qemu: ${e.reason}`);
            kill.abort();
          },
        );
        const judged = new Set<number>();
        const judge = async (index: number, final: boolean): Promise<void> => {
          const runnable = byIndex.get(index);
          if (!runnable || judged.has(index)) return;
          records ??= casesByIndex(parseResultStream(text));
          // A case the guest died in whose begin record died with it: the console's begin mark witnessed it.
          const record = records.get(index) ?? (final && marks.cases.has(index) ? diedRecord(index) : undefined);
          if (!record && !final) return;
          judged.add(index);
          const expiry = watchdog.expired();
          await judgeRecord(runnable, record, { console: marks.cases.get(index), ...(expiry?.index === index ? { watchdog: expiry.reason } : {}) });
        };
        const ends: number[] = [];
        const bootRequest = { ...machine, consoleLog: join(artifactsDir, `console-${name}.log`), payload };
        const bootOptions: BootOptions = {
          timeoutMs,
          log,
          signal: request.signal,
          kill: kill.signal,
          onEvent: (event) => {
            clock.on(event);
            if (event.kind === 'started') watchdog.start();
            if (event.kind !== 'line') return;
            watchdog.line(event.line);
            text += `${event.line}\n`;
            const end = /^T (\d+) end /.exec(event.line);
            if (end) ends.push(Number(end[1]));
          },
        };
        // The command server's guest of this very snapshot, restored and warm already (runner/qemu/parked.ts): the group
        // the plan expects to end last asks first (it saves that group QEMU's start, the restore and a cold translation cache).
        if (vm !== parkedTurn.vm) await parkedTurn.asked;
        const parked = snapshot ? await takeParked(snapshot, payload) : null;
        if (vm === parkedTurn.vm) parkedAsked();
        const outcome = parked ? await bootGuest(guest, bootRequest, bootOptions, parked) : snapshot ? await bootFromSnapshot(guest, bootRequest, snapshot, bootOptions) : await bootGuest(guest, bootRequest, bootOptions);
        watchdog.stop();
        marks = attributeLines(consoleLines(outcome.console));
        // Judge in stream order, after the boot (the reporters print as cases end).
        for (const index of ends) await judge(index, false);
        await writeFile(join(artifactsDir, `results-${name}.txt`), outcome.stream);
        const stream = parseResultStream(outcome.stream);
        for (const r of stream.cases) {
          const id = byIndex.get(r.index)?.case.id;
          if (id !== undefined && r.idleUs !== null) idleMs.set(id, r.idleUs / 1000);
        }
        const began = stream.cases.map((r) => r.index);
        if (outcome.cancelled) break;
        if (began.length === 0 && marks.cases.size === 0) {
          throw new VmaspecError('E_BOOT', `boot ${name} produced no results (${outcome.timedOut ? 'the host watchdog killed QEMU' : `QEMU exit ${outcome.exitCode}`})`, {
            details: [...outcome.stderr.trim().split('\n').filter(Boolean), ...failureTail(outcome.console, 15), `console: ${join(artifactsDir, `console-${name}.log`)}`],
          });
        }
        // The case the guest died in is crashed; one whose end the console saw but whose end record was lost runs again (once).
        for (const [index, fate] of caseFates(pending.map((r) => r.compiled.plan.index), stream, marks)) {
          if (fate === 'lost' && !lostOnce.has(index)) {
            lostOnce.add(index);
            log.info(`qemu: case ${byIndex.get(index)?.case.id ?? index} ended, but its results were lost when the guest died after it; running it again`);
          } else if (fate !== 'not-run') await judge(index, true);
        }
        clock.verdict();
        boots.push({ ...clock.timing(boot, pending.length, outcome.console), vm });
        pending = pending.filter((r) => !judged.has(r.compiled.plan.index));
        if (!stream.complete && pending.length > 0) log.info(`qemu: the guest stopped before its last case (a crash, a hang, or a case it could not kill); booting again for the ${pending.length} case(s) left`);
      }
    };
    return { runGroup, accel: accel.accel };
  };

  /** Runs a group of cases on the running kernel, one host supervisor for the group (runner/host/supervisor.ts). */
  const hostGroup = async (group: Runnable[], name: string): Promise<void> => {
    const payload = join(artifactsDir, `payload-${name}`);
    await mkdir(payload, { recursive: true });
    const byIndex = new Map(group.map((r) => [r.compiled.plan.index, r]));
    const hostCases = await Promise.all(
      group.map(async (r): Promise<HostCase> => {
        const { index, timeoutMs } = r.compiled.plan;
        if (r.probe) return { index, timeoutMs, binary: r.probe };
        const planFile = join(payload, `${index}.plan`);
        await writeFile(planFile, serializePlan(r.compiled.plan));
        return { index, timeoutMs, planFile };
      }),
    );
    let text = '';
    let judging = Promise.resolve();
    // Each case is judged as soon as it ends, so the reporters print as the cases run.
    const stream = await superviseCases(hostCases, {
      vmaprobe: helpers.vmaprobe,
      name,
      logFile: join(artifactsDir, `${name}.log`),
      log,
      signal: request.signal,
      onLine: (line) => {
        text += `${line}\n`;
        const end = /^T (\d+) end /.exec(line);
        const runnable = end ? byIndex.get(Number(end[1])) : undefined;
        if (runnable) judging = judging.then(() => judgeRecord(runnable, casesByIndex(parseResultStream(text)).get(runnable.compiled.plan.index), {}));
      },
    });
    await judging;
    await writeFile(join(artifactsDir, `results-${name}.txt`), stream);
  };

  const durations = await readDurations(request.kernel.cacheDir);
  // Cases that mostly wait get a guest of their own beside the cores' unless that ends later; never when --jobs says how many.
  const { groups, waiting, longest } = planGuests(pending, request.vms ?? cpus().length, (r) => caseCost(durations, r.case.id, r.compiled.plan.timeoutMs), request.vms === undefined && target.kind === 'guest');
  const where = target.kind === 'host' ? 'host: supervisors' : 'qemu: guests';
  if (groups.length > 1) log.verbose(`${where} side by side: ${groups.map((g, i) => (i === waiting ? `${g.length} that mostly wait` : g.length)).join(' + ')} case(s)`);
  let accel: Accel | undefined;
  let runGroup: (group: Runnable[], vm: number, tag: string) => Promise<void>;
  if (target.kind === 'host') runGroup = (group, vm) => hostGroup(group, groups.length > 1 ? `host${vm}` : 'host');
  else ({ runGroup, accel } = await guestRunner(target.kernel));
  // Which guest asks for the command server's parked guest first; the others ask once it has, or has ended.
  let parkedAsked = (): void => undefined;
  const parkedTurn = { vm: longest + 1, asked: new Promise<void>((resolve) => (parkedAsked = resolve)) };
  const settled = await Promise.allSettled(
    groups.map(async (g, i) => {
      try {
        await runGroup(g, i + 1, groups.length > 1 ? `${i + 1}.` : '');
      } finally {
        if (i + 1 === parkedTurn.vm) parkedAsked(); // it ended (or failed) before asking: the others need not wait
      }
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  boots.sort((a, b) => (a.vm ?? 1) - (b.vm ?? 1) || a.boot - b.boot);

  const ordered = cases.map((c) => reports.get(c.id)).filter((r): r is CaseReport => r !== undefined);
  const report = runReport({ kernel: kernelInfo, started: started.toISOString(), durationMs: Date.now() - started.getTime(), cases: ordered, ...(accel ? { boots, accel } : {}) });
  await writeFile(join(artifactsDir, 'report.json'), JSON.stringify(report, null, 2));
  // Durations share out the guests' cases; the host's are not theirs.
  if (target.kind === 'guest' && request.saveDurations !== false) await saveDurations(request.kernel.cacheDir, durations, ordered, idleMs, log);
  const versions = versionSummary(ordered.map((r) => ({ id: r.id, cov: coverage.get(r.id)!, ran: r.verdict !== 'skip' })), facts.release);
  if (versions) log.info(versions);
  await emit(request.reporters, 'onRunDone', report);
  return report;
}

/**
 * A new timestamped artifacts folder under `base`, `<kind>-<time>` (`-2`, `-3`… when taken),
 * made here: two commands started in the same millisecond (two terminals, the command server)
 * each get their own, never one folder whose result files both write.
 */
export function artifactsFolder(base: string, kind = 'run', now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  mkdirSync(base, { recursive: true });
  for (let i = 1; ; i++) {
    const dir = join(base, i === 1 ? `${kind}-${stamp}` : `${kind}-${stamp}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
