// The oracles of `vmaspec explore`: what a generated sequence is judged by. The model oracle
// (runner/model/, Oracle 1) says what it is certain of as `expect` steps inserted into the case,
// so a model finding is a failing case judged by the normal judge; the differential oracle
// (./diff.ts, Oracle 2) compares the records of two kernels and needs no model.
import type { Step } from '../cases/types.js';

/**
 * The reference model's contract with explore. For each step index of `steps` (the top-level
 * steps of a generated case, as loaded), a raw `expect` step value (a YAML-level object, as a
 * case file writes it: `{ layout: [...], smaps: [...] }`) that the model is certain of after that
 * step on this kernel; explore inserts each after its step and judges the case as any case.
 * Where the model does not know, it says nothing (a "may"): an index left out, or keys left out.
 */
export interface ModelOracle {
  expectations(steps: readonly Step[], kernel: { release: string }): Map<number, unknown>;
}
