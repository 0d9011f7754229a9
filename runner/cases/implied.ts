// Kconfig options a case's steps imply, so that no case has to repeat them in `requires`: each
// step kind says what its steps need (`kconfig` of its STEPS entry, ./steps.ts), e.g. a `name`
// step needs ANON_VMA_NAME (without it every prctl(PR_SET_VMA) is EINVAL: P2).
import type { Requirements } from './shapes.js';
import { STEPS, type Step, type StepDef } from './steps.js';

const optionOf = (term: string): string => term.split('=')[0]!;

/** The options the steps need. A step guarded by a `when` that speaks of an option does not imply it (it is written for both kinds of kernel). */
export function impliedKconfig(steps: readonly Step[]): string[] {
  const out = new Set<string>();
  const walk = (list: readonly Step[]): void => {
    for (const s of list) {
      if (s.kind === 'fork') {
        walk(s.child);
        walk(s.parent);
      }
      const guarded = new Set(s.when?.kconfig.map(optionOf));
      for (const o of (STEPS[s.kind] as StepDef<Step>).kconfig?.(s) ?? []) if (!guarded.has(o)) out.add(o);
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
