// Plain words for what the guest reports as numbers: signals, wait statuses, taint flags.
import type { CaseEnd } from '../results/types.js';

// x86_64 / generic Linux numbering (the guest's, not the host's).
const SIGNALS: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE',
  9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
  16: 'SIGSTKFLT', 17: 'SIGCHLD', 18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU',
  23: 'SIGURG', 24: 'SIGXCPU', 25: 'SIGXFSZ', 26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO',
  30: 'SIGPWR', 31: 'SIGSYS',
};

/** `11 (SIGSEGV)`. */
export function signalText(signo: number): string {
  const name = SIGNALS[signo];
  return name ? `${signo} (${name})` : String(signo);
}

/** How a process ended, from a raw `waitpid` status. */
export type WaitOutcome = { kind: 'exit'; code: number } | { kind: 'signal'; signo: number; core: boolean } | { kind: 'other'; status: number };

export function decodeWaitStatus(status: number): WaitOutcome {
  const sig = status & 0x7f;
  if (sig === 0) return { kind: 'exit', code: (status >> 8) & 0xff };
  if (sig !== 0x7f) return { kind: 'signal', signo: sig, core: (status & 0x80) !== 0 };
  return { kind: 'other', status };
}

export function describeWaitStatus(status: number): string {
  const w = decodeWaitStatus(status);
  if (w.kind === 'exit') return `exited with code ${w.code}`;
  if (w.kind === 'signal') return `was killed by signal ${signalText(w.signo)}${w.core ? ' (core dumped)' : ''}`;
  return `ended with wait status 0x${status.toString(16)}`;
}

export function describeEnd(end: CaseEnd): string {
  switch (end.kind) {
    case 'exit':
      return `exited with code ${end.code}`;
    case 'signal':
      return `was killed by signal ${signalText(end.signo)}`;
    case 'timeout':
      return 'timed out';
    case 'hung':
      return 'timed out and could not be killed (stuck in the kernel)';
  }
}

// Documentation/admin-guide/tainted-kernels.rst, bit → letter.
const TAINT_LETTERS = 'PFSRMBUDAWCIOELKXTN';

/** `W` for 512; the letters of the bits set, in bit order. */
export function taintLetters(taint: number): string {
  let out = '';
  for (let bit = 0; bit < 31; bit++) {
    if ((taint & (1 << bit)) === 0) continue;
    out += TAINT_LETTERS[bit] ?? `(bit ${bit})`;
  }
  return out;
}
