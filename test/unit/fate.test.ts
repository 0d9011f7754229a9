// Which case a dying guest is blamed for (runner/health/fate.ts), from a real boot of the
// health fixtures in which case 3 (LKDTM BUG) killed the guest: its result stream and its
// console (test/fixtures/health/logs/fast/*-1.*). The stream cut short models what a panic
// does to records still in the guest's UART buffer (issue: an innocent case was blamed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributeLines } from '../../runner/health/attribute.js';
import { caseFates } from '../../runner/health/fate.js';
import { consoleLines } from '../../runner/health/log.js';
import { parseResultStream } from '../../runner/results/stream.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const logs = join(repoRoot, 'test/fixtures/health/logs/fast');
const stream = readFileSync(join(logs, 'results-1.txt'), 'latin1');
const marks = attributeLines(consoleLines(readFileSync(join(logs, 'console-1.log'), 'latin1')));
const indices = [0, 1, 2, 3, 4, 5];

/** The stream up to (not including) its line that starts with `prefix`: what the host got when the guest died before sending it. */
const cutBefore = (prefix: string): string => stream.slice(0, stream.indexOf(`\n${prefix}`) + 1);

describe('caseFates', () => {
  it('the whole stream: the case that began and did not end died, the ones before ended, the rest never ran', () => {
    expect([...caseFates(indices, parseResultStream(stream), marks)]).toEqual([[0, 'ended'], [1, 'ended'], [2, 'ended'], [3, 'died'], [4, 'not-run'], [5, 'not-run']]);
  });

  it("case 2's end record lost with the guest: case 2 is run again, not blamed; case 3, whose begin only the console saw, died", () => {
    const fates = caseFates(indices, parseResultStream(cutBefore('T 2 end')), marks);
    expect([...fates]).toEqual([[0, 'ended'], [1, 'ended'], [2, 'lost'], [3, 'died'], [4, 'not-run'], [5, 'not-run']]);
  });

  it('without the console marks the stream alone decides (the old rule): case 2 would be blamed', () => {
    const none = { cases: new Map(), ended: new Set<number>() };
    expect(caseFates(indices, parseResultStream(cutBefore('T 2 end')), none).get(2)).toBe('died');
  });

  it('a stream that ended with D blames nobody', () => {
    const complete = parseResultStream(`${cutBefore('T 3 begin')}D\n`);
    expect([...caseFates([0, 1, 2], complete, marks).values()]).toEqual(['ended', 'ended', 'ended']);
  });
});
