// Terminal output for the stages: progress lines, verbose command lines, notes.
// Everything goes to stderr so stdout stays for reports.

export interface Logger {
  /** A stage's one-line status, e.g. `kernel: cached 6.12.117 (3f2a1c)`. */
  info(message: string): void;
  /** Only with --verbose: exact command lines and other detail. */
  verbose(message: string): void;
  /** A transient progress line; on a TTY it overwrites itself. */
  progress(message: string): void;
  /** Ends a progress line. */
  done(): void;
}

export function createLogger(options: { verbose: boolean; stream?: NodeJS.WriteStream }): Logger {
  const out = options.stream ?? process.stderr;
  const tty = out.isTTY === true;
  let open = false;
  let lastPlain = 0;
  const close = (): void => {
    if (open && tty) out.write('\n');
    open = false;
  };
  return {
    info(message) {
      close();
      out.write(`${message}\n`);
    },
    verbose(message) {
      if (!options.verbose) return;
      close();
      out.write(`${message}\n`);
    },
    progress(message) {
      if (tty) {
        const width = (out.columns ?? 100) - 1;
        out.write(`\r\x1b[K${message.slice(0, width)}`);
        open = true;
        return;
      }
      // Not a terminal (CI logs): one line every 10 s at most.
      const now = Date.now();
      if (now - lastPlain < 10_000) return;
      lastPlain = now;
      out.write(`${message}\n`);
    },
    done: close,
  };
}

/** A logger that prints nothing (tests, library use). */
export const silentLogger: Logger = { info() {}, verbose() {}, progress() {}, done() {} };
