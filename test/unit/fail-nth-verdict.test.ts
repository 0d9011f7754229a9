// The judge of `fail_nth` (runner/verdict/outcome.ts) on the real stream of fault/r5-allocation-failure
// (6.12.118, test/fixtures/model/6.12): an expected ENOMEM or EAGAIN must come from the injected
// failure, so one that injected nothing fails; an expected errno the call gives before its Nth
// fault-injection point (EINVAL of a refused name), or success, does not need it (vmaspec explore's findings).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import { compileCase } from '../../runner/plan/compile.js';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';
import { judgeCase } from '../../runner/verdict/judge.js';

const INDEX = 22;
const stream = readFileSync('test/fixtures/model/6.12/results-1.txt', 'utf8');
const source = readFileSync('cases/fault/r5-allocation-failure.yaml', 'utf8');

/** The case (its text edited by `edit`) judged on the recorded stream (edited by `editStream`). */
function judged(edit: (s: string) => string, editStream: (s: string) => string) {
  const c = parseCase(edit(source), 'r5.yaml', 'fault/r5-allocation-failure').case!;
  const compiled = compileCase(c, INDEX, 4096, { release: '6.12.118', config: new Map() });
  return judgeCase(compiled, c, casesByIndex(parseResultStream(editStream(stream))).get(INDEX));
}

const messages = (v: ReturnType<typeof judged>): string[] => v.failures.map((f) => f.message);
const same = (s: string): string => s;
// Plan step 2 is the first name with fail_nth: 1 (ENOMEM, its F record says it fired).
const notFired = (s: string): string => s.replace(/^(T 22 begin[\s\S]*?)^F 2 1$/m, '$1F 2 0');

describe('fail_nth, judged', () => {
  it('passes the case as recorded', () => {
    expect(judged(same, same).verdict).toBe('pass');
  });

  it('fails an expected ENOMEM that no injected failure gave', () => {
    expect(messages(judged(same, notFired))).toEqual([expect.stringMatching(/no failure was injected: the prctl reached fewer than 1 fault-injection points/)]);
  });

  it('takes an expected EINVAL with nothing injected: the call returned before its Nth point', () => {
    const einval = (s: string): string => s.replace('name: new, fail_nth: 1, errno: ENOMEM', 'name: new, fail_nth: 1, errno: EINVAL');
    const streamEinval = (s: string): string => notFired(s).replace(/^(T 22 begin[\s\S]*?)^S 2 -1 12$/m, '$1S 2 -1 22');
    expect(judged(einval, streamEinval).verdict).toBe('pass');
  });

  it('takes an expected success with nothing injected: the call needed fewer allocations', () => {
    const success = (s: string): string => s.replace('name: new, fail_nth: 1, errno: ENOMEM', 'name: new, fail_nth: 1');
    const streamSuccess = (s: string): string => notFired(s).replace(/^(T 22 begin[\s\S]*?)^S 2 -1 12$/m, '$1S 2 0 0');
    // The step passes; the layout after it then differs from the recorded one (the name was set): only that fails.
    expect(messages(judged(success, streamSuccess)).filter((m) => /fail_nth|injected/.test(m))).toEqual([]);
  });
});
