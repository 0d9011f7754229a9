// The key of a recorded case in test/fixtures/model/*/cases.txt: the hash of the plan text it
// ran (runner/plan/plan.ts serializePlan), so that a case changed since the recording is told apart.
import { createHash } from 'node:crypto';

/** The first 16 hex digits of the SHA-256 of a plan's text. */
export const planHash = (planText: string): string => createHash('sha256').update(planText).digest('hex').slice(0, 16);
