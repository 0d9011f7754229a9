// Failures of the observation checks: where the expect step is, and one maker for all of them.
import type { Failure, FailureKind } from './types.js';

/** Where an expect step is: its key path (`steps[3]`), the process and the plan step number. */
export interface ObserveWhere {
  path: string;
  proc: string;
  step: number;
}

/** Makes one failure: kind, key path, message (after `<path> (<proc>): `), expected, actual, detail lines. */
export type Fail = (kind: FailureKind, path: string, message: string, expected: string | number | null, actual: string | number | null, details?: string[]) => Failure;

/** A failure maker bound to a step: messages read `<path> (<proc>): <message>`. */
export function failer(where: ObserveWhere): Fail {
  return (kind, path, message, expected, actual, details) => ({
    kind,
    path,
    proc: where.proc,
    step: where.step,
    message: `${path} (${where.proc}): ${message}`,
    expected,
    actual,
    ...(details && details.length ? { details } : {}),
  });
}
