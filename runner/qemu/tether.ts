// QEMU dies with vmaspec, whatever kills vmaspec (SIGKILL included): it is
// started through util-linux's setpriv, which sets the parent-death signal
// (PR_SET_PDEATHSIG, SIGKILL) and execs a shell that checks its parent is still
// vmaspec before it execs QEMU. The check closes the race of a vmaspec that dies
// before the prctl: the shell then has another parent and exits 70 instead.
// The death signal fires when the parent *thread* exits: QEMU must be spawned
// from Node's main thread (child_process does so; no worker threads here).

/** The program that sets the parent-death signal (util-linux, Essential on Debian). */
export const TETHER_TOOL = 'setpriv';

/** The tethered shell's exit status when its parent was already gone (BSD's EX_SOFTWARE). */
export const ORPHANED_EXIT = 70;

/** `$0` is the expected parent's PID, `$@` the real command. */
const GUARD = `[ "$PPID" = "$0" ] || exit ${ORPHANED_EXIT}; exec "$@"`;

/** The command line that runs `file args` as a child killed when the process `parent` (this one by default) dies. */
export function tethered(file: string, args: readonly string[], parent: number = process.pid): { file: string; args: string[] } {
  return { file: TETHER_TOOL, args: ['--pdeathsig', 'KILL', '--', 'sh', '-c', GUARD, String(parent), file, ...args] };
}
