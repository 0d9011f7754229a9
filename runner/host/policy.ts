// What a case may not do on the running kernel (`--kernel host`): a run there changes
// nothing on the machine and never risks it. A case that would is skipped with the reason:
// sysctl steps (sysctls are global), fault injection (`fail_nth` needs failslab's debugfs
// knobs set for the whole kernel, as the guest's supervisor does), LKDTM (it provokes
// crashes, and its verdict needs a kernel log the run owns), a probe compiled from the
// kernel source tree (the running kernel has none here), and any Kconfig guard when the
// machine keeps no .config. The sandbox (./sandbox.ts) enforces the same for custom
// probes, whose C the runner cannot read: /proc/sys and /sys are read-only there.
import { FAIL_NTH_KCONFIG } from '../cases/steps.js';
import type { Case, Step } from '../cases/types.js';
import { rangeMatches } from '../kernel/version-range.js';
import { stepRuns } from '../plan/when.js';
import { configCandidates } from './kernel.js';

/** What the policy needs to know of the running kernel. */
export interface HostFacts {
  release: string;
  /** Null when the machine keeps no .config (runner/host/kernel.ts). */
  config: Map<string, string> | null;
}

/** Options whose cases provoke kernel faults: no case that requires one runs on the host. */
export const HOST_FORBIDDEN_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['LKDTM', 'provokes kernel faults through LKDTM: it may crash the running kernel, and its verdict needs a kernel log the run owns'],
  ...FAIL_NTH_KCONFIG.map((o): [string, string] => [o, 'injects faults: failslab must be set up for the whole kernel (debugfs), which a run on the host does not change']),
]);

const optionOf = (term: string): string => term.split('=')[0]!;
const wanted = (term: string): boolean => !term.endsWith('=n');

/** Every step with its key path, fork branches included (as the plan compiler names them). */
function* walk(steps: readonly Step[], base = 'steps'): Generator<[Step, string]> {
  for (const [i, s] of steps.entries()) {
    const path = `${base}[${i}]`;
    yield [s, path];
    if (s.kind === 'fork') {
      yield* walk(s.child, `${path}.fork.child`);
      yield* walk(s.parent, `${path}.fork.parent`);
    }
  }
}

/** Whether a step may run here: its `when` holds (without a .config, its Kconfig terms are taken to hold). */
function mayRun(s: Step, host: HostFacts): boolean {
  if (!s.when) return true;
  if (host.config !== null) return stepRuns(s, { release: host.release, config: host.config });
  return s.when.kernel === null || rangeMatches(s.when.kernel, host.release);
}

/** The first step that may run on this kernel and changes something outside the case's own process, with why. */
function globalStep(c: Case, host: HostFacts): string | null {
  for (const [s, path] of walk(c.steps)) {
    if (!mayRun(s, host)) continue;
    if (s.kind === 'sysctl') return `writes the sysctl ${s.key} (${path}): sysctls are global, and a run on the host changes nothing`;
    if (s.kind === 'name' && s.failNth !== undefined) return `injects an allocation failure (fail_nth, ${path}): failslab must be set up for the whole kernel (debugfs), which a run on the host does not change`;
  }
  return null;
}

/** Why the case must not run on the running kernel, or null when it may. */
export function hostSkipReason(c: Case, host: HostFacts): string | null {
  if (c.probe?.from === 'kernel') return `compiles ${c.probe.path} from the kernel source tree, and the running kernel has none here`;
  const step = globalStep(c, host);
  if (step) return step;
  const forbidden = c.requires.kconfig.filter(wanted).map(optionOf).find((o) => HOST_FORBIDDEN_OPTIONS.has(o));
  if (forbidden) return `${HOST_FORBIDDEN_OPTIONS.get(forbidden)} (requires CONFIG_${forbidden})`;
  if (host.config !== null) return null;
  const unknown = `the running kernel's .config is unknown (no ${configCandidates(host.release).join(', no ')})`;
  if (c.requires.kconfig.length > 0) return `needs ${c.requires.kconfig.map((t) => `CONFIG_${t}`).join(', ')}, and ${unknown}`;
  const guarded = [...walk(c.steps)].find(([s]) => (s.when?.kconfig.length ?? 0) > 0);
  return guarded ? `${guarded[1]} is guarded by ${guarded[0].when!.kconfig.map((t) => `CONFIG_${t}`).join(', ')}, and ${unknown}` : null;
}
