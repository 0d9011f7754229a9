// Compares `expect.data` items (kernel-behaviour.md D1–D5) with the first bytes a `peek` op read:
// one failure per page whose byte (or fault) differs.
import type { ByteRead, DataExpect } from '../cases/expect-types.js';
import type { Expected } from '../plan/compiled.js';
import type { PageRead } from '../results/peek.js';
import { failer, type StepWhere } from './failure.js';
import type { Failure } from './types.js';

const readText = (b: ByteRead): string => (b === 'fault' ? 'a fault' : `byte ${b}`);

/** Failures of one data item against its reads (one per page of its range, in order), one per page that differs. */
export function judgeData(check: Expected<DataExpect>, reads: readonly PageRead[], where: StepWhere): Failure[] {
  const fail = failer(where, check.pos);
  const { source, bytes } = check.expect;
  const out: Failure[] = [];
  bytes.forEach((want, k) => {
    const got: ByteRead = reads[k]?.byte ?? 'fault';
    if (got === want) return;
    const page = source.range.at + k;
    const which = source.region ? `page ${source.region.page + k} of ${source.region.id} (window page ${page})` : `page ${page}`;
    out.push(fail('data', `${check.path}.bytes`, `${which}: expected ${readText(want)}, got ${readText(got)}`, String(want), String(got)));
  });
  return out;
}
