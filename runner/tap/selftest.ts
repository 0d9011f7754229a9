// Upstream selftests that print no TAP (tools/testing/selftests/proc/*: they only exit 0, 1 or
// 4) are wrapped as kselftest's runner.sh wraps them: their output as `# ` lines, then one
// result from the exit status. A selftest that prints TAP itself (the kselftest harness) is
// left as it is. The result is then judged like any probe (./verdict.ts).
import type { CaseRecord } from '../results/types.js';
import { parseTap } from './parse.js';
import { KSFT } from './verdict.js';

/** runner.sh's test name: `selftests: proc: proc-pid-vm` for tools/testing/selftests/proc/proc-pid-vm.c. */
export function selftestName(path: string): string {
  const parts = path.replace(/\.c$/, '').split('/');
  const name = parts.pop() ?? path;
  return `selftests: ${parts.at(-1) ?? '.'}: ${name}`;
}

/** The record with runner.sh's TAP added when the selftest printed none and ended by itself. */
export function wrapSelftest(record: CaseRecord | undefined, path: string): CaseRecord | undefined {
  if (!record?.end || record.end.kind === 'timeout' || record.end.kind === 'hung' || parseTap(record.output).found) return record;
  const name = selftestName(path);
  const end = record.end;
  let result: string;
  if (end.kind === 'signal') result = `not ok 1 ${name} # exit=${128 + end.signo} (signal ${end.signo})`;
  else if (end.code === KSFT.PASS) result = `ok 1 ${name}`;
  else if (end.code === KSFT.SKIP) {
    const last = record.output.filter((l) => l.trim()).at(-1);
    result = `ok 1 ${name} # SKIP the selftest exited with KSFT_SKIP (4)${last ? `: ${last.trim()}` : ''}`;
  } else result = `not ok 1 ${name} # exit=${end.code}`;
  return { ...record, output: ['TAP version 13', '1..1', ...record.output.map((l) => `# ${l}`), result] };
}
