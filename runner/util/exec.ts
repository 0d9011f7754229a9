// Running host commands: one place that prints the exact command line on
// --verbose, streams output lines to a callback and keeps the full log.
import { execa, type ResultPromise } from 'execa';
import { createWriteStream } from 'node:fs';
import type { Logger } from '../log.js';

/** One word for /bin/sh, quoted only when it needs to be. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** A command line as a shell would take it (for --verbose and error messages). */
export function shellLine(file: string, args: readonly string[], cwd?: string): string {
  const line = [file, ...args].map(shellQuote).join(' ');
  return cwd ? `(cd ${shellQuote(cwd)} && ${line})` : line;
}

export interface RunOptions {
  cwd?: string;
  log: Logger;
  /** Every output line (stdout and stderr interleaved) goes here as it arrives. */
  onLine?: (line: string) => void;
  /** The whole output is also written to this file. */
  logFile?: string;
  env?: Record<string, string>;
}

/** The commands run() started that are still running. */
const running = new Set<ResultPromise>();

/**
 * Stops every command run() started that still runs: a vmaspec stopped by a signal sent
 * to it alone (not to its terminal's process group) must not wait for make to finish.
 * make passes SIGTERM on to its jobs and removes the targets it was writing.
 */
export function stopCommands(): void {
  for (const child of running) child.kill('SIGTERM');
}

/** Runs a command to completion; rejects with execa's error (exit code, output tail) on failure. */
export async function run(file: string, args: string[], options: RunOptions): Promise<string> {
  options.log.verbose(`$ ${shellLine(file, args, options.cwd)}`);
  const child: ResultPromise = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    all: true,
    buffer: true,
    lines: false,
    stdin: 'ignore',
  });
  running.add(child);
  const logStream = options.logFile ? createWriteStream(options.logFile) : null;
  let pending = '';
  child.all?.on('data', (chunk: Buffer) => {
    logStream?.write(chunk);
    if (!options.onLine) return;
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  });
  try {
    const result = await child;
    return String(result.all ?? '');
  } finally {
    running.delete(child);
    await new Promise<void>((resolve) => (logStream ? logStream.end(resolve) : resolve()));
  }
}

/** The last `n` lines of a text, for error details. */
export function tail(text: string, n: number): string[] {
  return text.trimEnd().split('\n').slice(-n);
}
