// The channel's repeats (docs/protocol.md, "Repeats"): the host writes out what the supervisor
// (c-helpers/init.c) sent as `= <step> <id>`, numbering the records as init.c does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPEAT_LETTERS, REPEAT_MAX_IDS, REPEAT_MAX_TEXT, repeatDecoder } from '../../runner/results/repeats.js';

describe('repeatDecoder', () => {
  it('has the constants of c-helpers/init.c', () => {
    const c = readFileSync('c-helpers/init.c', 'utf8');
    const define = (name: string): string | undefined => new RegExp(`^#define ${name} (.+)$`, 'm').exec(c)?.[1]?.trim();
    expect(define('REPEAT_LETTERS')).toBe(JSON.stringify(REPEAT_LETTERS));
    expect(Number(define('REPEAT_MAX_TEXT'))).toBe(REPEAT_MAX_TEXT);
    expect(Number(define('REPEAT_MAX_IDS'))).toBe(REPEAT_MAX_IDS);
  });

  it('writes out a repeat with its own step, numbering each new record text of a case once', () => {
    const decode = repeatDecoder();
    const channel = ['T 0 begin 0', 'A 3 Size:  4 kB', 'S 3 0 0', 'Q 4 200 300 x', 'A 3 Size:  4 kB', 'A 5 Rss:  0 kB', '= 7 0', '= 7 2', '= 8 1', '= 9 0 2'];
    expect(channel.flatMap(decode)).toEqual(['T 0 begin 0', 'A 3 Size:  4 kB', 'S 3 0 0', 'Q 4 200 300 x', 'A 3 Size:  4 kB', 'A 5 Rss:  0 kB', 'A 7 Size:  4 kB', 'A 7 Rss:  0 kB', 'Q 8 200 300 x', 'A 9 Size:  4 kB', 'Q 9 200 300 x']);
  });

  it('starts numbering again at each case, and gives no id to a text too long or past the last id', () => {
    const decode = repeatDecoder();
    const long = 'x'.repeat(REPEAT_MAX_TEXT + 1);
    expect(['T 0 begin 0', `A 1 ${long}`, 'A 1 short', '= 2 0'].flatMap(decode).at(-1)).toBe('A 2 short');
    expect(['T 1 begin 0', 'A 1 other', '= 2 0', '= 2 1', '= 2 0 2'].flatMap(decode).slice(-3)).toEqual(['A 2 other', '= 2 1', '= 2 0 2']);
  });
});
