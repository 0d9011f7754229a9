// Oracle 1 of `vmaspec explore` (issue 15): the reference model behind the ModelOracle contract
// (runner/explore/oracle.ts): for each top-level step, the raw `expect` value of what the model is
// certain of after it; nothing for a kernel the model has no facts for, nor after a step it cannot follow.
import type { ModelOracle } from '../explore/oracle.js';
import type { Step } from '../cases/types.js';
import { modelKernel } from './kernel.js';
import { simulate } from './simulate.js';

/** The largest case window (runner/cases/case.ts): the steps' own ranges stay inside the case's. */
const WINDOW_MAX = 4096;

/** The model as a ModelOracle. */
export function referenceModel(): ModelOracle {
  return {
    expectations(steps: readonly Step[], kernel: { release: string }): Map<number, unknown> {
      const k = modelKernel(kernel.release);
      if (!k) return new Map();
      const sim = simulate(steps, k, kernel.release, WINDOW_MAX);
      return new Map([...sim.steps].map(([i, p]) => [i, p.expect]));
    },
  };
}
