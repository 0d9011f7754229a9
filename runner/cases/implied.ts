// Kconfig options a case's steps imply, so that no case has to repeat them in `requires`:
// a `name` step needs ANON_VMA_NAME (without it every prctl(PR_SET_VMA) is EINVAL: P2),
// `fail_nth` needs the fault injection of kernel-config/fault-injection.config.
import type { Requirements } from './shapes.js';
import type { Step } from './steps.js';

/** What `fail_nth` needs: /proc/thread-self/fail-nth, failslab, and its debugfs knobs. */
export const FAIL_NTH_KCONFIG = ['FAULT_INJECTION', 'FAILSLAB', 'FAULT_INJECTION_DEBUG_FS'] as const;

const optionOf = (term: string): string => term.split('=')[0]!;

/** The options the steps need. A `name` step guarded by a `when` that speaks of ANON_VMA_NAME implies nothing (it is written for both kinds of kernel). */
export function impliedKconfig(steps: readonly Step[]): string[] {
  const out = new Set<string>();
  const walk = (list: readonly Step[]): void => {
    for (const s of list) {
      if (s.kind === 'fork') {
        walk(s.child);
        walk(s.parent);
      }
      if (s.kind !== 'name') continue;
      if (!s.when?.kconfig.some((t) => optionOf(t) === 'ANON_VMA_NAME')) out.add('ANON_VMA_NAME');
      if (s.failNth !== undefined) FAIL_NTH_KCONFIG.forEach((o) => out.add(o));
    }
  };
  walk(steps);
  return [...out];
}

/** `requires` with the implied options added, unless it already says something about them. */
export function withImplied(requires: Requirements, steps: readonly Step[]): Requirements {
  const said = new Set(requires.kconfig.map(optionOf));
  const added = impliedKconfig(steps).filter((o) => !said.has(o));
  return added.length === 0 ? requires : { ...requires, kconfig: [...requires.kconfig, ...added] };
}
