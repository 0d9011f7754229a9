// The signals that end a run the way Ctrl-C does: the run is cancelled (QEMU
// stopped, the partial report written, the monitor sockets removed) and the
// process exits with 128 + the signal's number, as a shell reports a process
// that signal killed. A second signal ends the process at once.
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
export const signalExit = (signal: StopSignal): number => 128 + constants.signals[signal];

/** Calls `onStop` at the first stop signal; at a second one the process exits with that signal's status. Returns the function that removes the handlers. */
export function onStopSignals(onStop: (signal: StopSignal) => void): () => void {
  let stopped = false;
  const handler = (signal: StopSignal): void => {
    if (stopped) process.exit(signalExit(signal));
    stopped = true;
    onStop(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
}
