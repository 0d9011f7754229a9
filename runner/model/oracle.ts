// Oracle 1 of `vmaspec explore` (issue 15): the reference model behind the ModelOracle contract
// (runner/explore/oracle.ts): for each top-level step, the raw `expect` value of what the model is
// certain of after it (and the errno of its call); nothing for a kernel the model has no facts for, nor after a step it cannot follow.
import type { ModelClaim, ModelOracle } from '../explore/oracle.js';
import { WINDOW_MAX } from '../cases/case.js';
import type { Step } from '../cases/types.js';
import { modelKernel } from './kernel.js';
import { simulate, type ModelTarget } from './simulate.js';

/** The ModelOracle, which also takes the kernel's .config and the case's window where the caller has them. */
export interface ReferenceModel extends ModelOracle {
  expectations(steps: readonly Step[], kernel: ModelTarget): Map<number, ModelClaim>;
}

/** The model as a ModelOracle. */
export function referenceModel(): ReferenceModel {
  return {
    expectations(steps: readonly Step[], kernel: ModelTarget): Map<number, ModelClaim> {
      const k = modelKernel(kernel.release);
      if (!k) return new Map();
      // Without the case's window, the largest: the steps' own ranges stay inside the case's.
      return simulate(steps, k, kernel, kernel.window ?? WINDOW_MAX).steps;
    },
  };
}
