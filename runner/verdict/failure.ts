// Failures of the checks of a plan step: where the step ran, and one maker for them all.
import type { SourcePos } from '../cases/types.js';
import type { Failure, FailureKind } from './types.js';

/** Where a plan step ran: the process and the plan step number. */
export interface StepWhere {
  proc: string;
  step: number;
}

/** Makes one failure: kind, key path, message (after `<path> (<proc>): `), expected, actual, detail lines. */
export type Fail = (kind: FailureKind, path: string, message: string, expected: string | number | null, actual: string | number | null, details?: string[]) => Failure;

/** A harness failure at an expectation: the probe did not report as the protocol says. */
export function harnessFailure(path: string, pos: SourcePos, where: StepWhere, message: string): Failure {
  return { kind: 'harness', message: `${path} (${where.proc}): ${message}`, path, pos, ...where };
}

/** A failure maker for one expectation written at `pos`: messages read `<path> (<proc>): <message>`. */
export function failer(where: StepWhere, pos: SourcePos): Fail {
  return (kind, path, message, expected, actual, details) => ({
    kind,
    path,
    pos,
    proc: where.proc,
    step: where.step,
    message: `${path} (${where.proc}): ${message}`,
    expected,
    actual,
    ...(details && details.length ? { details } : {}),
  });
}
