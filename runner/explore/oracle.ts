// The oracles of `vmaspec explore`: what a generated sequence is judged by. The model oracle
// (runner/model/, Oracle 1) says what it is certain of as errnos and `expect` steps written into
// the case, so a model finding is a failing case judged by the normal judge; the differential
// oracle (./normalise.ts, Oracle 2) compares the records of two kernels and needs no model.
import type { Step } from '../cases/types.js';

/** What the model claims of one top-level step of a case. */
export interface ModelClaim {
  /** The errno name the step's call fails with, or null when it succeeds; absent for a step whose call the model does not predict. */
  errno?: string | null;
  /** The raw `expect` step (`{ expect: { layout: [...], smaps: [...] } }`, as a case file writes it) of the state after the step. */
  expect: { expect: Record<string, unknown> };
  /** For a fork: the raw `expect` step the child starts with (its layout: the parent's VMAs as fork copies them, K1). */
  child?: { expect: Record<string, unknown> };
}

/**
 * The reference model's contract with explore. For each step index of `steps` (the top-level
 * steps of a generated case, as loaded), what the model is certain of at that step on this kernel
 * (`release`: `make kernelrelease`; `config`: its .config, option names without `CONFIG_`;
 * `window`: the case's window in pages); explore writes the
 * errno into the step and inserts the expect step after it, and judges the case as any case.
 * Where the model does not know, it says nothing (a "may"): an index left out, or keys left out.
 */
export interface ModelOracle {
  expectations(steps: readonly Step[], kernel: { release: string; config?: Map<string, string>; window?: number }): Map<number, ModelClaim>;
}
