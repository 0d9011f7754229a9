// Runs one guest: QEMU with a host-side timeout, never left running after an
// error or Ctrl-C. The result stream arrives on QEMU's stdout, line by line.
// A booted guest parks (`vmaspec-parked 1`) before its cases; the host may save
// its state then, and sends `g` (docs/protocol.md). A restored guest is parked.
// stdin stays open: at its EOF QEMU's stdio chardev closes and bytes the guest
// writes later are lost. QEMU dies with vmaspec (runner/qemu/tether.ts).
// A run may instead take a guest already parked and warm (runner/qemu/parked.ts):
// its cases then go over the channel (`p`, docs/protocol.md), not through fw_cfg.
import { readFile, writeFile } from 'node:fs/promises';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from '../log.js';
import { shellLine } from '../util/exec.js';
import type { ArchSpec } from './arch.js';
import { qemuArgv, type BootRequest } from './argv.js';
import { Qmp } from './qmp.js';
import { repeatDecoder } from '../results/repeats.js';
import { tethered } from './tether.js';
import { requireQemu } from './tools.js';
import { restoreVmState, saveVmState } from './vmstate.js';
import { lastClocksource, ticksOnly } from './guest-clock.js';

/** Progress of a boot, as typed events. */
export type BootEvent =
  | { kind: 'started'; pid: number }
  /** QEMU's monitor answered (QEMU is up; only with a monitor). */
  | { kind: 'monitor' }
  /** A booted guest is up and waits for its cases (init wrote `vmaspec-parked 1`). */
  | { kind: 'parked' }
  /** The parked guest's state was saved (`ms`: how long the guest stood still for it). */
  | { kind: 'saved'; path: string; ms: number }
  /** A restored guest runs again, parked, waiting for its cases (`parked`: one the command server had restored and warmed before). */
  | { kind: 'restored'; parked?: boolean }
  | { kind: 'line'; line: string }
  | { kind: 'exited'; code: number | null; signal: string | null };

/** The supervisor's line when it is ready for the run's cases (c-helpers/init.c park()). */
export const PARKED = 'vmaspec-parked 1';

/** A running QEMU as execa gives it (stdout as latin1 text, stdin a pipe). */
export type QemuProcess = ResultPromise<{ stdin: 'pipe'; encoding: 'latin1' }>;

/** Spawns QEMU tethered to this process (runner/qemu/tether.ts), stdin a pipe, output kept. */
export async function spawnQemu(spec: ArchSpec, args: string[], log: Logger, limits: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ child: QemuProcess }> {
  const qemu = tethered(await requireQemu(spec), args);
  log.verbose(`$ ${shellLine(spec.binary, args)}`);
  const child = execa(qemu.file, qemu.args, {
    reject: false,
    stdin: 'pipe',
    ...(limits.timeoutMs !== undefined ? { timeout: limits.timeoutMs } : {}),
    killSignal: 'SIGKILL',
    ...(limits.signal ? { cancelSignal: limits.signal } : {}),
    cleanup: true,
    buffer: { stdout: true, stderr: true },
    stripFinalNewline: false,
    encoding: 'latin1',
  }) as QemuProcess;
  child.stdin?.on('error', () => undefined); // QEMU gone before its input: its exit tells the story
  return { child }; // wrapped: awaiting the process itself would wait for its end
}

/** A handler of QEMU's stdout chunks that gives `onLine` each line of the channel, its repeats written out (docs/protocol.md). */
export function channelLines(onLine: (line: string) => void): { data: (chunk: Buffer | string) => void; rest: () => string } {
  let pending = '';
  const decode = repeatDecoder();
  return {
    data: (chunk) => {
      pending += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.flatMap((raw) => decode(raw.replace(/\r$/, '')))) onLine(line);
    },
    rest: () => pending,
  };
}

/** FNV-1a, 32 bits: the check init makes of an archive that came over the channel (c-helpers/init.c). */
function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The channel's hand-over of an archive: `p` (run it, then power off) or `w` (a warm-up: run it, then park again). */
export const channelPayload = (mode: 'p' | 'w', archive: Buffer): Buffer => Buffer.concat([Buffer.from(`${mode}${archive.length} ${fnv1a32(archive).toString(16)}\n`, 'latin1'), archive]);

/** A QEMU whose guest is restored, parked and warm, started before its cases were known (runner/qemu/parked.ts). */
export interface ParkedQemu {
  child: QemuProcess;
  /** From now on the channel's lines go to `onLine` (no longer to whoever parked it). */
  attach: (onLine: (line: string) => void) => { rest: () => string };
  /** The kernel console QEMU writes, and where the part of the run that takes the guest starts. */
  console: { path: string; offset: number };
  /** Removes what the parked guest held (its console file, its snapshot links) once QEMU is gone. */
  release: () => Promise<void>;
}

/** How long QEMU may take to open its monitor socket. */
export const QMP_CONNECT_MS = 10_000;

export interface BootOutcome {
  /** The result stream, as the guest wrote it. */
  stream: string;
  /** The kernel console. */
  console: string;
  exitCode: number | null;
  signal: string | null;
  /** The host watchdog killed QEMU. */
  timedOut: boolean;
  /** The run was cancelled (Ctrl-C). */
  cancelled: boolean;
  /** QEMU's own stderr (its error messages). */
  stderr: string;
  /** Why restoring the snapshot failed (the guest never ran); null otherwise. */
  restoreFailed: RestoreFailure | null;
  durationMs: number;
}

/** A restore that did not happen, and whose fault it was. */
export interface RestoreFailure {
  why: string;
  /**
   * QEMU read the snapshot and refused it (or never finished loading it): the file is to blame.
   * False when QEMU failed before (its monitor never answered: a bad socket path, a binary that
   * would not start) or could not read the file: the environment is to blame, not the snapshot.
   */
  rejected: boolean;
}

export interface BootOptions {
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal;
  /** Kills QEMU (SIGKILL) when aborted: the caller's own watchdog (runner/health/watchdog.ts). */
  kill?: AbortSignal;
  onEvent?: (event: BootEvent) => void;
}

export async function bootGuest(spec: ArchSpec, request: BootRequest, options: BootOptions, parkedQemu?: ParkedQemu): Promise<BootOutcome> {
  const started = Date.now();
  let timedOut = false;
  let cancelled = false;
  let child: QemuProcess;
  if (parkedQemu) {
    // Started long ago: the run's own time limit and Ctrl-C are armed here.
    child = parkedQemu.child;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    void child.finally(() => clearTimeout(timer));
    options.signal?.addEventListener('abort', () => {
      cancelled = true;
      child.kill('SIGKILL');
    }, { once: true });
  } else ({ child } = await spawnQemu(spec, qemuArgv(spec, request), options.log, { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) }));
  if (child.pid !== undefined) options.onEvent?.({ kind: 'started', pid: child.pid });
  options.kill?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
  const go = (): void => {
    if (!parkedQemu) {
      child.stdin?.write('g');
      return;
    }
    readFile(request.payload).then(
      (archive) => child.stdin?.write(channelPayload('p', archive)),
      () => child.kill('SIGKILL'), // no archive: nothing to run; the outcome says no results
    );
  };
  const exited = new AbortController();
  let monitorAnswered = false;
  const qmp = request.qmp
    ? Qmp.connect(request.qmp, QMP_CONNECT_MS, exited.signal).then((m) => {
        monitorAnswered = true;
        options.onEvent?.({ kind: 'monitor' });
        return m;
      })
    : null;
  qmp?.catch(() => undefined); // awaited where it is used
  let restoreFailed: string | null = null;
  const snapshot = request.snapshot;
  // Settles (never rejects) once the guest runs again or the restore failed; awaited before the outcome.
  const restoring =
    snapshot?.mode === 'restore' && qmp
      ? qmp
          .then((m) => restoreVmState(m, snapshot.path))
          .then(
            () => {
              options.onEvent?.({ kind: 'restored' });
              go();
            },
            (error: unknown) => {
              restoreFailed = error instanceof Error ? error.message : String(error);
              child.kill('SIGKILL');
            },
          )
      : null;
  const onParked = async (): Promise<void> => {
    options.onEvent?.({ kind: 'parked' });
    // A booted kernel whose clock counts ticks: said once per boot, and never saved for others to restore.
    const clock = snapshot?.mode === 'restore' ? null : lastClocksource(await readFile(request.consoleLog, 'latin1').catch(() => ''));
    const coarse = ticksOnly(clock);
    if (coarse)
      options.log.info(
        `qemu: the guest kernel keeps time in ${clock} (its TSC calibration failed on the busy host: the console says why), so timings inside it move in whole ticks (4 ms at HZ=250)${snapshot?.mode === 'save' ? '; no snapshot is saved of it, the next run boots again' : ''}`,
      );
    if (snapshot?.mode === 'save' && qmp && !coarse) {
      const t0 = performance.now();
      try {
        await saveVmState(await qmp, snapshot.path, snapshot.ram);
        options.onEvent?.({ kind: 'saved', path: snapshot.path, ms: Math.round(performance.now() - t0) });
      } catch (error) {
        options.log.info(`qemu: could not save a snapshot of the booted guest (${error instanceof Error ? error.message : String(error)}); the next run boots again`);
      }
    }
    go();
  };
  let seenPark = false;
  let stream = '';
  const onLine = (line: string): void => {
    if (line === PARKED && !seenPark) {
      seenPark = true;
      void onParked();
      return;
    }
    stream += `${line}\n`;
    options.onEvent?.({ kind: 'line', line });
  };
  let rest: () => string;
  if (parkedQemu) {
    seenPark = true;
    ({ rest } = parkedQemu.attach(onLine));
    options.onEvent?.({ kind: 'restored', parked: true });
    go();
  } else {
    const lines = channelLines(onLine);
    child.stdout?.on('data', lines.data);
    rest = lines.rest;
  }
  const result = await child;
  exited.abort();
  await restoring;
  (await qmp?.catch(() => null))?.close();
  options.onEvent?.({ kind: 'exited', code: result.exitCode ?? null, signal: result.signal ?? null });
  let consoleText: string;
  if (parkedQemu) {
    // The run's part of the parked guest's console (after its warm-up), kept where the run keeps its console.
    consoleText = (await readFile(parkedQemu.console.path).catch(() => Buffer.alloc(0))).subarray(parkedQemu.console.offset).toString('latin1');
    await writeFile(request.consoleLog, consoleText, 'latin1');
    await parkedQemu.release();
  } else consoleText = await readFile(request.consoleLog, 'latin1').catch(() => '');
  return {
    // Read as latin1 (a byte a character), the stream is UTF-8 text.
    stream: Buffer.from(stream + rest(), 'latin1').toString('utf8'),
    console: consoleText,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut: result.timedOut === true || timedOut,
    cancelled: result.isCanceled === true || cancelled,
    stderr: String(result.stderr ?? ''),
    restoreFailed: restoreFailed === null ? null : { why: restoreFailed, rejected: monitorAnswered && !/^cat: /m.test(String(result.stderr ?? '')) },
    durationMs: Date.now() - started,
  };
}
