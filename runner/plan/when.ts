// Which steps run on the kernel under test: a step's `when` (runner/cases/steps.ts) is
// decided here, at compile time, once the kernel's release and .config are known.
import type { Step } from '../cases/types.js';
import { unmetRequirement } from '../kernel/requirements.js';

/** What the compiler needs to know about the kernel under test. */
export interface KernelFacts {
  /** `make kernelrelease`, e.g. `6.12.117`. */
  release: string;
  /** The .config: option name without `CONFIG_` → value. */
  config: Map<string, string>;
}

/** True when the step has no `when`, or the kernel meets it; with no kernel known, guarded steps are left out. */
export function stepRuns(s: Step, kernel: KernelFacts | null): boolean {
  if (!s.when) return true;
  return kernel !== null && unmetRequirement(s.when, kernel) === null;
}
