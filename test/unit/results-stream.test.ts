import { describe, expect, it } from 'vitest';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';
import { fixture } from '../fixtures/plans.js';

const text = fixture('streams/pass-fail-crash.txt');

describe('parseResultStream', () => {
  const s = parseResultStream(text);

  it('skips junk before the header', () => {
    expect(s.header).toBe(true);
    expect(s.cases.map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it('parses a finished case', () => {
    const c = s.cases[0];
    expect(c?.end).toEqual({ kind: 'exit', code: 0 });
    expect(c).toMatchObject({ taintBefore: 0, taintAfter: 0, durationUs: 1532, broken: [] });
    expect(c?.window).toEqual({ base: 0x200000001000n, pages: 8, pageSize: 4096, reserveNamed: true });
    expect([...(c?.steps.keys() ?? [])]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(c?.steps.get(6)).toEqual({ step: 6, ret: -1, errno: 22, maps: [] });
  });

  it('keeps maps lines verbatim, trailing space included', () => {
    const maps = s.cases[0]?.steps.get(3)?.maps ?? [];
    expect(maps).toHaveLength(5);
    expect(maps[1]).toBe('200000001000-200000002000 rw-p 00000000 00:00 0 ');
    expect(maps[2]?.endsWith('[anon:mid]')).toBe(true);
  });

  it('reports lines off the grammar with their line numbers', () => {
    const lineNo = text.split('\n').indexOf('[   12.345678] random: crng init done') + 1;
    expect(s.garbage).toContainEqual({ line: lineNo, text: '[   12.345678] random: crng init done', reason: 'not a record' });
  });

  it('leaves a case without an end open and the stream incomplete', () => {
    const c = s.cases[2];
    expect(c?.end).toBeNull();
    expect(c?.taintAfter).toBeNull();
    expect(c?.durationUs).toBeNull();
    expect([...(c?.steps.keys() ?? [])]).toEqual([1, 2]);
    expect(s.complete).toBe(false);
  });

  it('never parses a truncated last line', () => {
    expect(s.truncated?.text).toMatch(/^M 3 200000002000-2000000/);
    expect(s.truncated?.line).toBe(text.split('\n').length);
    // the maps lines of the unfinished snapshot have no S record
    expect(s.garbage.some((g) => g.reason.includes('without its S record'))).toBe(true);
  });

  it('reads CRLF line ends the same', () => {
    const crlf = parseResultStream(text.replace(/\n/g, '\r\n'));
    expect(crlf.cases[0]?.steps.get(3)?.maps).toEqual(s.cases[0]?.steps.get(3)?.maps);
    expect(crlf.cases.map((c) => c.end)).toEqual(s.cases.map((c) => c.end));
    expect(crlf.garbage.map((g) => g.line)).toEqual(s.garbage.map((g) => g.line));
  });

  it('parses fork records and D', () => {
    const f = parseResultStream(fixture('streams/fork.txt'));
    expect(f.complete).toBe(true);
    expect(f.garbage).toEqual([]);
    expect(f.truncated).toBeNull();
    const c = f.cases[0];
    expect(c?.children.get(3)).toBe(231);
    expect(c?.steps.get(9)).toMatchObject({ ret: 231, waitStatus: 0 });
    expect(c?.taintAfter).toBe(512);
  });

  it('handles every end status, B records and misplaced records', () => {
    const s2 = parseResultStream(
      [
        'vmaspec-results 1',
        'S 1 0 0',
        'B cannot open manifest',
        'T 0 begin 0',
        'B bad plan line 3: unknown op',
        'X 4 0',
        'T 0 end exit:3 0 10',
        'T 1 begin 0',
        'T 1 end signal:11 0 10',
        'T 2 begin 0',
        'T 9 end timeout 0 10',
        'T 2 end timeout 0 5000000',
        'T 3 begin 0',
        'T 4 begin 0',
        'T 4 end exit:0 0 1',
        'D',
        'T 5 begin 0',
        '',
      ].join('\n'),
    );
    expect(s2.broken).toEqual(['cannot open manifest']);
    expect(s2.cases.map((c) => [c.index, c.end])).toEqual([
      [0, { kind: 'exit', code: 3 }],
      [1, { kind: 'signal', signo: 11 }],
      [2, { kind: 'timeout' }],
      [3, null],
      [4, { kind: 'exit', code: 0 }],
    ]);
    expect(s2.cases[0]?.broken).toEqual(['bad plan line 3: unknown op']);
    expect(s2.garbage.map((g) => [g.line, g.reason])).toEqual([
      [2, 'outside a case'],
      [6, 'X record before the S record of step 4'],
      [11, 'end of case 9 while case 2 runs'],
      [14, 'case 4 began before case 3 ended'],
      [17, 'after D'],
    ]);
    expect(casesByIndex(s2).get(4)?.end).toEqual({ kind: 'exit', code: 0 });
  });

  it("reads the guest's idle time of a case when the end record has it (the host supervisor's has not)", () => {
    // upstream/proc-empty-vm on the 6.12 guest: it sleeps 1 s of its 1.013 s.
    const s = parseResultStream('vmaspec-results 1\nT 113 begin 0\nO ok 1\nT 113 end exit:0 0 1012943 1010000\nT 114 begin 0\nT 114 end exit:0 0 8001\nD\n');
    expect(s.cases.map((c) => [c.durationUs, c.idleUs])).toEqual([
      [1012943, 1010000],
      [8001, null],
    ]);
    expect(s.garbage).toEqual([]);
    expect(parseResultStream('vmaspec-results 1\nT 1 begin 0\nT 1 end exit:0 0 8001 -5\n').garbage.map((g) => g.reason)).toEqual(['not a record']);
  });

  it('finds nothing without a header', () => {
    expect(parseResultStream('T 0 begin 0\n')).toMatchObject({ header: false, cases: [], complete: false });
  });
});
