// Runs one guest: QEMU with a host-side timeout, never left running after an
// error or Ctrl-C. The result stream arrives on QEMU's stdout, line by line.
// A booted guest parks (`vmaspec-parked 1`) before its cases; the host may save
// its state then, and sends `g` (docs/protocol.md). A restored guest is parked.
// stdin stays open: at its EOF QEMU's stdio chardev closes and bytes the guest
// writes later are lost. QEMU dies with vmaspec (runner/qemu/tether.ts).
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { Logger } from '../log.js';
import { shellLine } from '../util/exec.js';
import type { ArchSpec } from './arch.js';
import { qemuArgv, type BootRequest } from './argv.js';
import { Qmp } from './qmp.js';
import { repeatDecoder } from '../results/repeats.js';
import { tethered } from './tether.js';
import { requireQemu } from './tools.js';
import { restoreVmState, saveVmState } from './vmstate.js';

/** Progress of a boot, as typed events. */
export type BootEvent =
  | { kind: 'started'; pid: number }
  /** QEMU's monitor answered (QEMU is up; only with a monitor). */
  | { kind: 'monitor' }
  /** A booted guest is up and waits for its cases (init wrote `vmaspec-parked 1`). */
  | { kind: 'parked' }
  /** The parked guest's state was saved (`ms`: how long the guest stood still for it). */
  | { kind: 'saved'; path: string; ms: number }
  /** A restored guest runs again, parked, waiting for its cases. */
  | { kind: 'restored' }
  | { kind: 'line'; line: string }
  | { kind: 'exited'; code: number | null; signal: string | null };

/** The supervisor's line when it is ready for the run's cases (c-helpers/init.c park()). */
const PARKED = 'vmaspec-parked 1';

/** How long QEMU may take to open its monitor socket. */
const QMP_CONNECT_MS = 10_000;

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

export async function bootGuest(spec: ArchSpec, request: BootRequest, options: BootOptions): Promise<BootOutcome> {
  const args = qemuArgv(spec, request);
  const qemu = tethered(await requireQemu(spec), args);
  options.log.verbose(`$ ${shellLine(spec.binary, args)}`);
  const started = Date.now();
  const child = execa(qemu.file, qemu.args, {
    reject: false,
    stdin: 'pipe',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    cancelSignal: options.signal,
    cleanup: true,
    buffer: { stdout: true, stderr: true },
    stripFinalNewline: false,
    encoding: 'latin1',
  });
  if (child.pid !== undefined) options.onEvent?.({ kind: 'started', pid: child.pid });
  options.kill?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
  child.stdin?.on('error', () => undefined); // QEMU gone before `g`: its exit tells the story
  const go = (): void => {
    child.stdin?.write('g');
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
  const parked = async (): Promise<void> => {
    options.onEvent?.({ kind: 'parked' });
    if (snapshot?.mode === 'save' && qmp) {
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
  let pending = '';
  let seenPark = false;
  // The stream as docs/protocol.md has it: the channel's repeats written out.
  const decode = repeatDecoder();
  let stream = '';
  child.stdout?.on('data', (chunk: Buffer | string) => {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.flatMap((raw) => decode(raw.replace(/\r$/, '')))) {
      if (line === PARKED && !seenPark) {
        seenPark = true;
        void parked();
        continue;
      }
      stream += `${line}\n`;
      options.onEvent?.({ kind: 'line', line });
    }
  });
  const result = await child;
  exited.abort();
  await restoring;
  (await qmp?.catch(() => null))?.close();
  options.onEvent?.({ kind: 'exited', code: result.exitCode ?? null, signal: result.signal ?? null });
  const consoleText = await readFile(request.consoleLog, 'latin1').catch(() => '');
  return {
    // Read as latin1 (a byte a character), the stream is UTF-8 text.
    stream: Buffer.from(stream + pending, 'latin1').toString('utf8'),
    console: consoleText,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut: result.timedOut === true,
    cancelled: result.isCanceled === true,
    stderr: String(result.stderr ?? ''),
    restoreFailed: restoreFailed === null ? null : { why: restoreFailed, rejected: monitorAnswered && !/^cat: /m.test(String(result.stderr ?? '')) },
    durationMs: Date.now() - started,
  };
}
