// Runs one guest: QEMU with a host-side timeout, never left running after an
// error or Ctrl-C. The result stream arrives on QEMU's stdout, line by line.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { Logger } from '../log.js';
import { shellLine } from '../util/exec.js';
import type { ArchSpec } from './arch.js';
import { qemuArgv, type BootRequest } from './argv.js';

/** Progress of a boot, as typed events. */
export type BootEvent = { kind: 'started'; pid: number } | { kind: 'line'; line: string } | { kind: 'exited'; code: number | null; signal: string | null };

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
  durationMs: number;
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
  options.log.verbose(`$ ${shellLine(spec.binary, args)}`);
  const started = Date.now();
  const child = execa(spec.binary, args, {
    reject: false,
    stdin: 'ignore',
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
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer | string) => {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.onEvent?.({ kind: 'line', line: line.replace(/\r$/, '') });
  });
  const result = await child;
  options.onEvent?.({ kind: 'exited', code: result.exitCode ?? null, signal: result.signal ?? null });
  const consoleText = await readFile(request.consoleLog, 'latin1').catch(() => '');
  return {
    stream: String(result.stdout ?? ''),
    console: consoleText,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut: result.timedOut === true,
    cancelled: result.isCanceled === true,
    stderr: String(result.stderr ?? ''),
    durationMs: Date.now() - started,
  };
}
