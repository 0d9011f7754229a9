// Per-step results of a case, for the reports that show a case's steps as subtests
// (KTAP, JUnit): each top-level step passed, failed (a failure's key path lies in it),
// never ran (the guest reported nothing of it) or was left out by its `when` on this kernel.
import type { Case } from '../cases/types.js';
import type { Failure } from '../verdict/types.js';
import type { StepResult } from './types.js';

/**
 * The results of the case's top-level steps. `ran` holds the key paths the plan compiler
 * kept (a `when` left the others out); `unreported` those of which some plan step has no
 * result, with why (`crashed`: the guest died; else the probe stopped).
 */
export function stepResults(c: Pick<Case, 'steps'>, ran: ReadonlySet<string>, failures: readonly Failure[], unreported: { paths: ReadonlySet<string>; why: string }): StepResult[] {
  return c.steps.map((s, i) => {
    const path = `steps[${i}]`;
    const name = `${path}.${s.kind}`;
    if (!ran.has(path)) return { name, status: 'skip', reason: 'when: not this kernel' };
    const own = failures.filter((f) => f.path !== null && (f.path === path || f.path.startsWith(`${path}.`)));
    if (own.length > 0) return { name, status: 'fail', messages: own.map((f) => f.message) };
    return unreported.paths.has(path) ? { name, status: 'notrun', reason: unreported.why } : { name, status: 'pass' };
  });
}

/** The top-level step (`steps[i]`) of a key path. */
export const topStep = (path: string): string => /^steps\[\d+\]/.exec(path)?.[0] ?? path;
