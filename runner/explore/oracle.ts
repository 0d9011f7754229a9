// The contract between `vmaspec explore` and its model oracle (runner/model/): for each step index
// of a generated case, the raw `expect` step value (as a case writes it) holding only what the
// model is certain of after that step; the explore runner inserts them and the judge judges them.
import type { Step } from '../cases/types.js';

/** Oracle 1: the model's expectations of a generated case (runner/model/oracle.ts referenceModel()). */
export interface ModelOracle {
  expectations(steps: readonly Step[], kernel: { release: string }): Map<number, unknown>;
}
