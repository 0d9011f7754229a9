// The host-side supervisor of `vmaspec run --kernel host`: what c-helpers/init.c does as the
// guest's PID 1, done by an ordinary process for cases on the running kernel. It runs each
// case's probe (the same static vmaprobe with the case's plan, or the case's custom probe)
// in its sandbox (./sandbox.ts), forwards its output, ends it at its timeout, ends whatever
// it left (its session, process group and mount namespace; never kill(-1)), and writes
// the same result stream (docs/protocol.md): so the same parser and judges give the
// verdicts. Differences from the guest: no park and payload (the plan file is vmaprobe's
// stdin), no marks in the kernel log, and a process the kernel will not let die ends
// its case `hung` without stopping the others (the machine cannot be rebooted).
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import type { Logger } from '../log.js';
import { RESULTS_MAGIC } from '../results/stream.js';
import { KmsgReader } from './kmsg.js';
import { caseProcesses, killUntilGone, orphanedCaseProcesses } from './processes.js';
import { PROBE_ENV, SANDBOX_ERROR, TAG_PREFIX, sandboxCommand } from './sandbox.js';

/** After a kill, how long the probe and its leftovers may take to die (c-helpers/init.c, KILL_WAIT_MS). */
const KILL_WAIT_MS = 2000;
/** After the probe's end, how long its output may take to reach EOF (c-helpers/init.c, DRAIN_MS). */
const DRAIN_MS = 2000;

/** One case for the supervisor: a plan for vmaprobe, or a custom probe (manifest `exec`). */
export interface HostCase {
  index: number;
  timeoutMs: number;
  /** vmaprobe's plan file (docs/protocol.md, "Plan"): the probe's stdin, read through /proc/self/fd/0. */
  planFile?: string;
  /** A custom probe's binary, run with no arguments; its output lines become `O` records. */
  binary?: string;
}

export interface SuperviseOptions {
  /** The static vmaprobe (runner/guest/helpers.ts). */
  vmaprobe: string;
  /** Names this supervisor's cases among the run's (case tags, log lines). */
  name: string;
  /** Each line of the result stream, as it is written. */
  onLine: (line: string) => void;
  /** The probes' stderr (vmaprobe's; the sandbox's own errors become `B` records) and the supervisor's notes. */
  logFile: string;
  log: Logger;
  signal?: AbortSignal;
}

/** /proc/sys/kernel/tainted as text, as the guest's supervisor reads it. */
function taint(): string {
  try {
    return readFileSync('/proc/sys/kernel/tainted', 'utf8').trim() || '0';
  } catch {
    return '0';
  }
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** `exit:<code>` or `signal:<signo>` of a process's end. */
function endStatus(exit: Exit): string {
  if (exit.signal !== null) return `signal:${constants.signals[exit.signal]}`;
  return `exit:${exit.code ?? 127}`;
}

/** The promise's value, or null when `ms` pass first (the timer never outlives the race, so it keeps no process alive). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `each` for every complete line of the chunks pushed (latin1, as the guest's channel is read); `rest` is the unfinished one. */
function lineSplitter(each: (line: string) => void): { push: (chunk: Buffer) => void; rest: () => string } {
  let pending = '';
  return {
    push: (chunk) => {
      const parts = (pending + chunk.toString('latin1')).split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) each(line);
    },
    rest: () => pending,
  };
}

/**
 * Runs the cases one after another; resolves to the whole result stream (header, each case
 * from `T … begin` to `T … end`, and `D` unless the signal stopped it).
 */
export async function superviseCases(cases: readonly HostCase[], o: SuperviseOptions): Promise<string> {
  const lines: string[] = [];
  const emit = (line: string): void => {
    lines.push(line);
    o.onLine(line);
  };
  const note = (text: string): void => appendFileSync(o.logFile, `${text}\n`);
  // A vmaspec killed outright (SIGKILL) ends its probes (parent-death signal) but not what they forked.
  const orphans = await orphanedCaseProcesses();
  if (orphans.length > 0) {
    o.log.info(`host: ending ${orphans.length} process(es) left by the cases of an earlier vmaspec that was killed: ${orphans.map((p) => p.pid).join(', ')}`);
    const stale = await killUntilGone(orphanedCaseProcesses, Date.now() + KILL_WAIT_MS);
    if (stale.length > 0) o.log.info(`host: ${stale.length} of them cannot be killed: ${stale.map((p) => `${p.pid} (${p.state})`).join(', ')}`);
  }
  const kmsg = KmsgReader.open();
  if ('error' in kmsg) note(`the kernel log cannot be read (${kmsg.error}): cases get no K records, kernel reports during them are not seen`);
  emit(RESULTS_MAGIC);
  try {
    for (const c of cases) {
      if (o.signal?.aborted) break;
      await runCase(c, o, emit, note, 'error' in kmsg ? null : kmsg);
    }
    if (!o.signal?.aborted) emit('D');
  } finally {
    if (!('error' in kmsg)) kmsg.close();
  }
  return lines.join('\n') + '\n';
}

/** One case, from `T … begin` to `T … end` (no end when the run is cancelled during it). */
async function runCase(c: HostCase, o: SuperviseOptions, emit: (line: string) => void, note: (text: string) => void, kmsg: KmsgReader | null): Promise<void> {
  const tag = `${TAG_PREFIX}${process.pid}-${o.name}-${c.index}`;
  emit(`T ${c.index} begin ${taint()}`);
  kmsg?.skip();
  const binary = realpathSync(c.binary ?? o.vmaprobe);
  const cmd = sandboxCommand({ argv: c.binary ? [binary] : [binary, '/proc/self/fd/0'], tag, mergeStderr: c.binary !== undefined });
  const started = process.hrtime.bigint();
  // The plan is vmaprobe's stdin: a file open before the sandbox hides /tmp, where it may lie.
  const plan = c.planFile === undefined ? null : openSync(c.planFile, 'r');
  const child = spawn(cmd.file, cmd.args, { detached: true, stdio: [plan ?? 'ignore', 'pipe', 'pipe'], env: PROBE_ENV, cwd: '/' });
  if (plan !== null) closeSync(plan);
  // Both are pipes (stdio above): spawn's types cannot say so for a mixed stdio list.
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  const prefix = c.binary ? 'O ' : '';
  const out = lineSplitter((line) => emit(prefix + line));
  const err = lineSplitter((line) => (line.startsWith(SANDBOX_ERROR) ? emit(`B host sandbox: ${line.slice(SANDBOX_ERROR.length).trim()}`) : note(`case ${c.index}: ${line}`)));
  stdout.on('data', out.push);
  stderr.on('data', err.push);
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const exited = new Promise<Exit | { error: Error }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => resolve({ error }));
  });

  // The probe leads its process group (spawned detached): the group is the probe and what it forked.
  const killGroup = (): void => {
    if (child.pid === undefined) return;
    for (const target of [-child.pid, child.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, c.timeoutMs);
  const abort = (): void => killGroup();
  o.signal?.addEventListener('abort', abort);
  const ended = await within(exited, c.timeoutMs + KILL_WAIT_MS);
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', abort);
  const durationUs = (process.hrtime.bigint() - started) / 1000n;

  if (ended !== null && 'error' in ended) emit(`B host: cannot start the case's sandbox: ${ended.error.message}`);
  // Whatever the probe left behind dies now, so that its output ends and the next case starts alone.
  const left = child.pid === undefined ? [] : await killUntilGone(() => caseProcesses(child.pid!, tag), Date.now() + KILL_WAIT_MS);
  if (left.length > 0) {
    emit('B a process the case left behind could not be killed');
    note(`case ${c.index}: processes that cannot be killed: ${left.map((p) => `${p.pid} (${p.state})`).join(', ')}; the running kernel may be unwell`);
  }
  await within(closed, DRAIN_MS);
  stdout.destroy();
  stderr.destroy();
  // A cut-off last line is still ended, so that `T … end` starts a line.
  if (out.rest() !== '') emit(prefix + out.rest());
  if (err.rest() !== '') note(`case ${c.index}: ${err.rest()}`);
  for (const k of kmsg?.take() ?? []) emit(k);
  // A cancelled run keeps no end for the case it stopped, as a cancelled guest's stream does not.
  if (o.signal?.aborted) return;
  const status = ended !== null && 'error' in ended ? 'exit:127' : ended === null || left.length > 0 ? 'hung' : timedOut ? 'timeout' : endStatus(ended);
  emit(`T ${c.index} end ${status} ${taint()} ${durationUs}`);
}
