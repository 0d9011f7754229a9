// How one case's probe runs on the host (`--kernel host`): an ordinary process, made to
// look to the probe as the guest does and to leave nothing behind.
//
//   setpriv --pdeathsig KILL --bounding-set -sys_rawio,-mknod,-sys_ptrace --
//     unshare --mount --propagation private -- sh -c SCRIPT …
//
// - setpriv: the probe dies with vmaspec (parent-death signal; the shell checks its parent
//   is still vmaspec, runner/qemu/tether.ts), and runs without the capabilities the guest's
//   supervisor drops (c-helpers/init.c, seal_channel).
// - unshare: a mount namespace of its own, so that the mounts below are the case's alone.
// - SCRIPT: a fresh tmpfs on /tmp (nosuid, noexec, as in the guest; its source names the
//   case, which finds every process of the case later: ./processes.ts); the directory of
//   the probe binary bound back in when it lay under /tmp; /proc/sys and /sys read-only
//   (a bind of /sys without its submounts: no debugfs, so no LKDTM and no failslab knobs);
//   then exec of the probe in /tmp. The tmpfs, and every file a case makes there
//   (`backing: tmpfs`, the sysctl journal), goes with the namespace: nothing lands in the
//   host's /tmp, and no journal a stranger left there is ever read.
// The supervisor spawns it detached: the probe leads its own session and process group,
// as under the guest's init.
import { spawnSync } from 'node:child_process';
import { dirname, isAbsolute, relative } from 'node:path';
import { VmaspecError } from '../errors.js';
import { ORPHANED_EXIT, TETHER_TOOL } from '../qemu/tether.js';
import { findProgram } from '../qemu/tools.js';
import { shellLine } from '../util/exec.js';

/** The program that gives the probe its own mount namespace (util-linux). */
export const NAMESPACE_TOOL = 'unshare';

/** The prefix of the sandbox's own error lines on stderr (the supervisor turns them into `B` records). */
export const SANDBOX_ERROR = 'vmaspec-host:';

/** The tmpfs source name of every case's /tmp starts with this; the rest names the run and the case. */
export const TAG_PREFIX = 'vmaspec-host-';

/** The capabilities the guest's supervisor drops before it runs a probe (c-helpers/init.c, seal_channel). */
export const DROPPED_CAPABILITIES = ['sys_rawio', 'mknod', 'sys_ptrace'] as const;

/** The environment of a probe: as little as the guest's init passes on. */
export const PROBE_ENV: Readonly<Record<string, string>> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/' };

/**
 * $1 vmaspec's pid, $2 the tmpfs tag, $3 a directory under /tmp to bind back ('' for none),
 * $4 `merge` to send the probe's stderr to its stdout (custom probes), then the command.
 */
const SCRIPT = [
  `[ "$PPID" = "$1" ] || exit ${ORPHANED_EXIT}`,
  'tag=$2 dir=$3 merge=$4; shift 4',
  `fail() { echo "${SANDBOX_ERROR} $*" >&2; exit 125; }`,
  'if [ -n "$dir" ]; then exec 3<"$dir" || fail "cannot open $dir"; fi',
  'mount -t tmpfs -o nosuid,noexec,mode=1777 "$tag" /tmp || fail "cannot mount a private tmpfs on /tmp"',
  'if [ -n "$dir" ]; then { mkdir -p "$dir" && mount --no-canonicalize --bind /proc/self/fd/3 "$dir"; } || fail "cannot bind $dir back under the private /tmp"; exec 3<&-; fi',
  '{ mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys; } || fail "cannot make /proc/sys read-only"',
  '{ mount --bind /sys /sys && mount -o remount,bind,ro /sys; } || fail "cannot make /sys read-only"',
  'cd /tmp || fail "cannot enter the private /tmp"',
  'if [ "$merge" = merge ]; then exec "$@" 2>&1; fi',
  'exec "$@"',
].join('\n');

/** The directory of `file` when it lies below /tmp (which the sandbox replaces), else ''. A file right in /tmp is not bound back (that would bring all of /tmp back). */
export function underTmp(file: string): string {
  const rel = relative('/tmp', dirname(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? dirname(file) : '';
}

export interface SandboxCommand {
  /** The probe and its arguments. */
  argv: readonly string[];
  /** The case's tmpfs tag (TAG_PREFIX + run and case). */
  tag: string;
  /** Custom probes: stderr joins stdout, as under the guest's init. */
  mergeStderr: boolean;
  /** The pid the sandbox's shell must have as its parent (default: this process). */
  parent?: number;
}

/** The command line that runs a probe in its sandbox. */
export function sandboxCommand(c: SandboxCommand): { file: string; args: string[] } {
  const caps = DROPPED_CAPABILITIES.map((cap) => `-${cap}`).join(',');
  const script = [String(c.parent ?? process.pid), c.tag, underTmp(c.argv[0]!), c.mergeStderr ? 'merge' : '-'];
  return { file: TETHER_TOOL, args: ['--pdeathsig', 'KILL', '--bounding-set', caps, '--', NAMESPACE_TOOL, '--mount', '--propagation', 'private', '--', 'sh', '-c', SCRIPT, 'sh', ...script, ...c.argv] };
}

/**
 * Before any case: the sandbox can be made here. It needs root (the mounts need CAP_SYS_ADMIN,
 * and the cases expect a probe that runs as root, as in the guest) and its programs; then one
 * trial run of `true` in it proves the rest (mount namespaces, tmpfs, read-only binds).
 */
export async function preflightSandbox(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new VmaspecError('E_HOST', '--kernel host runs each case as root in a mount namespace of its own (a private /tmp, read-only /proc/sys and /sys): run vmaspec as root', {
      details: ['the guest runs its probes as root too; on a machine you would rather not run them on as root, run the suite in a guest (the default)'],
    });
  }
  for (const [tool, pkg] of [[TETHER_TOOL, 'util-linux'], [NAMESPACE_TOOL, 'util-linux'], ['sh', 'dash'], ['mount', 'mount']] as const) {
    if (!(await findProgram(tool))) throw new VmaspecError('E_TOOL_MISSING', `${tool} is not installed (not found as an executable in PATH); --kernel host runs each case through it`, { details: [`install the package ${pkg}: npm run setup, or apt-get install ${pkg}`] });
  }
  const trial = sandboxCommand({ argv: [(await findProgram('true')) ?? '/bin/true'], tag: `${TAG_PREFIX}${process.pid}-preflight`, mergeStderr: false });
  const result = spawnSync(trial.file, trial.args, { encoding: 'utf8', env: PROBE_ENV, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    const why = result.error?.message ?? (result.stderr.trim() || `exit ${result.status ?? `signal ${result.signal}`}`);
    throw new VmaspecError('E_HOST', `--kernel host cannot make the case sandbox here (a mount namespace with a private /tmp): ${why}`, { details: [`the trial: ${shellLine(trial.file, trial.args.map((a) => (a.includes('\n') ? '<script>' : a)))}`] });
  }
}
