// Observation verdicts on the real guest stream (streams/observe.txt): the fixture cases pass as
// written, and an edited expectation fails with the step, process, VMA, field, expected and actual.
import { describe, expect, it } from 'vitest';
import { judgeCase } from '../../runner/verdict/judge.js';
import { expandLine } from '../../runner/verdict/maps-extra.js';
import type { Failure } from '../../runner/verdict/types.js';
import { observeCase, observeIds, observeSource } from '../fixtures/observe.js';

/** The failures of a fixture case after replacing `from` (which must occur once) in its text. */
function failuresAfter(id: string, from: string, to: string): Failure[] {
  const { c, compiled, record } = observeCase(id, (s) => {
    if (s.split(from).length !== 2) throw new Error(`${JSON.stringify(from)} is not in ${id} exactly once`);
    return s.replace(from, to);
  });
  const v = judgeCase(compiled, c, record);
  expect(v.verdict).toBe('fail');
  return v.failures;
}

const messages = (fs: Failure[]): string[] => fs.map((f) => f.message);

describe('the fixture cases, judged against what the kernel reported', () => {
  it.each(observeIds)('%s passes', (id) => {
    const { c, compiled, record } = observeCase(id);
    const v = judgeCase(compiled, c, record);
    expect(v.failures).toEqual([]);
    expect(v.verdict).toBe('pass');
  });
});

describe('smaps', () => {
  it('a value, in the child of a fork', () => {
    const fs = failuresAfter('accounting/a2-fork-shares-pages', 'Rss: 16, Pss: 8,', 'Rss: 16, Pss: 16,');
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ kind: 'smaps', path: 'steps[3].fork.child[0].expect.smaps[0].Pss', proc: 'child', expected: '16 kB', actual: '8 kB' });
    expect(fs[0]?.message).toBe(
      'steps[3].fork.child[0].expect.smaps[0].Pss (child): VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:acct]"): Pss: expected 16 kB, got 8 kB',
    );
  });

  it('an expression over other fields and a range', () => {
    const fs = failuresAfter('accounting/a2-fork-shares-pages', 'Pss: "Rss/2", Pss_Dirty: Pss,', 'Pss: "Rss/4", Pss_Dirty: { min: 1, lt: Pss },');
    expect(messages(fs)).toEqual([
      'steps[3].fork.parent[0].expect.smaps[0].Pss (parent): VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:acct]"): Pss: expected = Rss/4 = 4 kB, got 8 kB',
      'steps[3].fork.parent[0].expect.smaps[0].Pss_Dirty (parent): VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:acct]"): Pss_Dirty: expected < Pss = 8 kB, got 8 kB',
    ]);
  });

  it('VmFlags has/lacks and the exact list', () => {
    expect(messages(failuresAfter('accounting/a1-touched-named-private', 'has: [rd, wr, ac], lacks: [sh, ms]', 'has: [rd, sh], lacks: [ac]'))).toEqual([
      'steps[3].expect.smaps[0].VmFlags.has (parent): VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:acct]"): VmFlags [rd wr mr mw me ac] lacks sh',
      'steps[3].expect.smaps[0].VmFlags.lacks (parent): VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:acct]"): VmFlags [rd wr mr mw me ac] has ac',
    ]);
    const exact = failuresAfter('formats/f7-smaps-field-order', 'VmFlags: [rd, wr, mr, mw, me, ac]', 'VmFlags: [rd, wr, mr, mw, me]');
    expect(exact[0]).toMatchObject({ path: 'steps[6].expect.smaps[0].VmFlags', expected: '[rd wr mr mw me]', actual: '[rd wr mr mw me ac]' });
  });

  it('the exact span of the VMA, the header name, and a page of the reserve', () => {
    const span = failuresAfter('accounting/a1-touched-named-private', '{ region: a, pages: 4, name: "[anon:acct]"', '{ region: a, pages: 3, name: "[anon:acc]"');
    expect(span[0]?.message).toBe(
      'steps[3].expect.smaps[0] (parent): expected one VMA spanning exactly pages 2-4, found the VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:acct]")',
    );
    expect(span[0]?.details).toContain('VMA at page 2 (0x200000003000, 4 pages, rw-p "[anon:acct]")');
    const name = failuresAfter('formats/f6-smaps-has-no-name-line', 'smaps: [ { region: a, name: "[anon:same text]" } ]', 'smaps: [ { region: a, name: "[anon:same]" } ]');
    expect(name[0]).toMatchObject({ path: 'steps[2].expect.smaps[0].name', expected: '[anon:same]', actual: '[anon:same text]' });
    const reserve = failuresAfter('formats/f7-smaps-field-order', '- { region: z, Size: 4,', '- { at: 9, Size: 4,');
    expect(reserve[0]?.message).toMatch(/^steps\[6\]\.expect\.smaps\[2\] \(parent\): page 9 is not mapped by the case: it is in the VMA at page 9 .*the window reserve\)$/);
  });

  it('smaps_fields: the first difference, for each VMA of the case', () => {
    const fs = failuresAfter('formats/f7-smaps-field-order', 'Locked, THPeligible, VmFlags]', 'Locked, ProtectionKey, THPeligible, VmFlags]');
    expect(fs).toHaveLength(4); // vmas: 4
    expect(fs[0]?.message).toBe(
      'steps[6].expect.smaps_fields (parent): VMA at page 0 (0x200000001000, 2 pages, rw-p unnamed): field order differs; first difference at position 23: expected ProtectionKey, got THPeligible',
    );
    expect(fs.map((f) => f.kind)).toEqual(['smaps_fields', 'smaps_fields', 'smaps_fields', 'smaps_fields']);
  });
});

describe('rollup', () => {
  it('the header with its placeholders filled in, the order and a relation', () => {
    const fs = failuresAfter('formats/f8-smaps-rollup', '{stack_end} ---p 00000000 00:00 0 ', '{last_end} ---p 00000000 00:00 00');
    expect(fs).toHaveLength(1);
    expect(fs[0]?.message).toMatch(/^steps\[2\]\.expect\.rollup\.header \(parent\): header: expected "00400000-[0-9a-f]+ ---p 00000000 00:00 00 +\[rollup\]", got "00400000-[0-9a-f]+ ---p 00000000 00:00 0 +\[rollup\]" \(first difference at byte 43\)$/);
    const order = failuresAfter('formats/f8-smaps-rollup', 'fields: [Rss, Pss, Pss_Dirty,', 'fields: [Rss, Pss_Dirty, Pss,');
    expect(order[0]?.message).toBe('steps[2].expect.rollup.fields (parent): field order differs; first difference at position 2: expected Pss_Dirty, got Pss');
    const rel = failuresAfter('formats/f8-smaps-rollup', 'Pss: "Pss_Anon + Pss_File + Pss_Shmem"', 'Pss: "Pss_Anon + Pss_File + Pss_Shmem + 4"');
    expect(rel[0]?.message).toMatch(/^steps\[2\]\.expect\.rollup\.Pss \(parent\): smaps_rollup: Pss: expected = Pss_Anon \+ Pss_File \+ Pss_Shmem \+ 4 = (\d+) kB, got (\d+) kB$/);
  });
});

describe('maps_line and contains', () => {
  it('a maps line differs at the byte it differs', () => {
    const fs = failuresAfter('formats/f1-f3-maps-lines', '"200000001000-200000002000 rw-p 00000000 00:00 0 "', '"200000001000-200000002000 rw-p 00000000 00:00 0"');
    expect(fs[0]).toMatchObject({ kind: 'maps_line', path: 'steps[3].expect.maps_line[0].line' });
    expect(fs[0]?.message).toBe(
      'steps[3].expect.maps_line[0].line (parent): VMA at page 0 (0x200000001000, 1 page, rw-p unnamed): expected "200000001000-200000002000 rw-p 00000000 00:00 0", got "200000001000-200000002000 rw-p 00000000 00:00 0 " (first difference at byte 47; 47 vs 48 bytes)',
    );
  });

  it('{inode} is replaced by the VMA\'s inode alone: the rest of the line is compared as written', () => {
    const fs = failuresAfter('formats/f4-shared-anon-lines', '00001000 00:01 {inode}', '00001000 00:02 {inode}');
    expect(fs[0]?.expected).toBe('200000002000-200000003000 rw-s 00001000 00:02 2                          [anon_shmem:s]');
    // padded as for a two-digit inode: the judge does not re-pad it, the name is one byte early
    const short = failuresAfter('formats/f4-shared-anon-lines', '00001000 00:01 {inode}                          [', '00001000 00:01 {inode}                         [');
    expect(short.map((f) => f.message)).toEqual([
      'steps[2].expect.maps_line[1].line (parent): VMA at page 1 (0x200000002000, 1 page, rw-s "[anon_shmem:s]"): expected "200000002000-200000003000 rw-s 00001000 00:01 2                         [anon_shmem:s]", got "200000002000-200000003000 rw-s 00001000 00:01 2                          [anon_shmem:s]" (first difference at byte 72; 86 vs 87 bytes)',
    ]);
  });

  it('{pad} stands for the spaces up to byte 73, whatever the inode\'s width', () => {
    const { c, compiled, record } = observeCase('formats/f4-shared-anon-lines', (s) => s.replaceAll('{inode}                          ', '{inode}{pad}'));
    expect(judgeCase(compiled, c, record).failures).toEqual([]);
    expect(expandLine('200000002000-200000003000 rw-s 00001000 00:01 {inode}{pad}[anon_shmem:s]', { dev: '00:01', inode: 1025n })).toBe(
      '200000002000-200000003000 rw-s 00001000 00:01 1025                       [anon_shmem:s]',
    );
    expect(expandLine('200000002000-200000003000 rw-s 00001000 00:01 {inode}{pad}[anon_shmem:s]', { dev: '00:01', inode: 1025n }).indexOf('[')).toBe(73);
    // a header that reaches the column: the trailing space and seq_pad's one space (F2)
    expect(expandLine(`${'f'.repeat(70)} {inode}{pad}/a`, { dev: '00:01', inode: 7n })).toBe(`${'f'.repeat(70)} 7  /a`);
  });

  it('{dev} is replaced by the device field of the VMA\'s actual line; a wrong literal device fails', () => {
    const withDev = (s: string): string => s.replaceAll(' 00:01 {inode}                          ', ' {dev} {inode}{pad}');
    const { c, compiled, record } = observeCase('formats/f4-shared-anon-lines', withDev);
    expect(judgeCase(compiled, c, record).failures).toEqual([]);
    // the value is the guest's text: a failure elsewhere in the line shows it filled in
    const fs = failuresAfter('formats/f4-shared-anon-lines', '00001000 00:01 {inode}                          [anon_shmem:s]', '00001000 {dev} {inode}{pad}[anon_shmem:t]');
    expect(fs.map((f) => f.expected)).toEqual(['200000002000-200000003000 rw-s 00001000 00:01 2                          [anon_shmem:t]']);
    // a literal device is compared as written
    const wrong = failuresAfter('formats/f4-shared-anon-lines', '00001000 00:01 {inode}                          [', '00001000 00:10 {inode}{pad}[');
    expect(wrong.map((f) => f.message)).toEqual([
      'steps[2].expect.maps_line[1].line (parent): VMA at page 1 (0x200000002000, 1 page, rw-s "[anon_shmem:s]"): expected "200000002000-200000003000 rw-s 00001000 00:10 2                          [anon_shmem:s]", got "200000002000-200000003000 rw-s 00001000 00:01 2                          [anon_shmem:s]" (first difference at byte 43; 87 vs 87 bytes)',
    ]);
    expect(expandLine('200000002000-200000003000 rw-s 00001000 {dev} {inode}{pad}[anon_shmem:s]', { dev: '00:1a', inode: 3n })).toBe(
      '200000002000-200000003000 rw-s 00001000 00:1a 3                          [anon_shmem:s]',
    );
    // a three-digit minor is wider: {pad} after it still puts the name at byte 73
    expect(expandLine('200000002000-200000003000 rw-s 00001000 {dev} {inode}{pad}[anon_shmem:s]', { dev: '00:100', inode: 3n }).indexOf('[')).toBe(73);
  });

  it('contains: a missing VMA and a differing field, with the actual layout attached', () => {
    const { c, compiled, record } = observeCase('formats/f7-smaps-field-order', (s) =>
      s.replace('      vmas: 4\n', '      vmas: 4\n      contains: [ { region: n, perms: r--p }, { at: 6, pages: 1 } ]\n'),
    );
    const v = judgeCase(compiled, c, record);
    expect(messages(v.failures)).toEqual([
      'steps[6].expect.contains[0].perms (parent): VMA 0 at page 3 (0x200000004000): perms: expected "r--p", got "rw-p"',
      'steps[6].expect.contains[1] (parent): VMA 1 at page 6 (0x200000007000) missing: page 6 is inside the VMA at page 5 (2 pages)',
    ]);
    expect(v.failures[0]?.layout?.actual.map((a) => a.at)).toEqual([0, 3, 5, 8]);
  });
});

describe('query', () => {
  it('an errno, and out fields', () => {
    const errno = failuresAfter('procmap-query/q1-ioctl-only-on-maps', '{ region: a, file: smaps, errno: ENOTTY }', '{ region: a, file: smaps, errno: EINVAL }');
    expect(errno[0]?.message).toBe('steps[1].expect.query[1].errno (parent): PROCMAP_QUERY on smaps at page 2: expected EINVAL (22), got ENOTTY (25)');
    const out = failuresAfter('procmap-query/q3-query-flags', '{ at: 0, flags: [readable, covering_or_next], start: 2, end: 4, name: "[anon:a]" }', '{ at: 0, flags: [readable, covering_or_next], start: 5, end: 4, name: "[anon:b]" }');
    expect(messages(out)).toEqual([
      'steps[6].expect.query[2].start (parent): PROCMAP_QUERY on maps at page 0, flags [readable, covering_or_next]: vma_start: expected page 5 (0x200000006000), got page 2 (0x200000003000)',
      'steps[6].expect.query[2].name (parent): PROCMAP_QUERY on maps at page 0, flags [readable, covering_or_next]: name: expected "[anon:b]", got "[anon:a]"',
    ]);
  });

  it('success where an error was expected, name_size, vma_flags and dev', () => {
    const fs = failuresAfter('procmap-query/q4-name-size', '{ region: l, name_buf: 87, name_size: 87 }', '{ region: l, name_buf: 87, errno: ENAMETOOLONG }');
    expect(fs[0]?.message).toBe('steps[6].expect.query[5].errno (parent): PROCMAP_QUERY on maps at page 5, name buffer 87: expected ENAMETOOLONG (36), got success');
    const more = failuresAfter('formats/f4-shared-anon-lines', 'dev: "00:01", offset: 4096, inode: { min: 1 }, vma_flags: [readable, writable, shared]', 'dev: "00:00", offset: 0, inode: 0, vma_flags: [readable, writable]');
    expect(more.map((f) => f.path)).toEqual(['steps[2].expect.query[0].offset', 'steps[2].expect.query[0].inode', 'steps[2].expect.query[0].vma_flags', 'steps[2].expect.query[0].dev']);
    expect(more[2]?.message).toBe('steps[2].expect.query[0].vma_flags (parent): PROCMAP_QUERY on maps at page 1: vma_flags: expected [readable, writable], got [readable, writable, shared] (0xb)');
  });
});

describe('map_files', () => {
  it('present, link and open', () => {
    const fs = failuresAfter('map-files/mf4-readlink-and-follow', '{ region: s, link: "/dev/zero (deleted)", open: ok }', '{ region: s, link: "/dev/zero", open: EPERM }');
    expect(messages(fs)).toEqual([
      'steps[4].expect.map_files[0].link (parent): map_files/200000002000-200000003000 (page 1, exact): readlink: expected "/dev/zero", got a link to "/dev/zero (deleted)"',
      'steps[4].expect.map_files[0].open (parent): map_files/200000002000-200000003000 (page 1, exact): open: expected EPERM, got success',
    ]);
    const absent = failuresAfter('map-files/mf3-entry-name-spelling', '{ region: s, spell: 0x, present: false }', '{ region: s, spell: 0x, present: true }');
    expect(absent[0]?.message).toBe('steps[1].expect.map_files[3].present (parent): map_files/0x20000000a000-20000000c000 (page 9, 0x): expected an entry, got ENOENT (2)');
  });
});

describe('pagemap', () => {
  it('the pages where a bit differs, with their entries', () => {
    const fs = failuresAfter(
      'pagemap/pg1-present-after-touch',
      '{ region: a, page: 1, pages: 2, present: true, swapped: false, exclusive: true, file_shared: false }',
      '{ region: a, page: 1, pages: 2, present: true, swapped: false, exclusive: false, file_shared: true }',
    );
    expect(fs.map((f) => f.path)).toEqual(['steps[5].expect.pagemap[1].file_shared', 'steps[5].expect.pagemap[1].exclusive']);
    expect(fs[1]).toMatchObject({ kind: 'pagemap', expected: 'false', actual: '2-3' });
    expect(fs[1]?.message).toBe('steps[5].expect.pagemap[1].exclusive (parent): pages 2-3: exclusive: expected clear, got set on pages 2-3');
    expect(fs[1]?.details?.map((d) => d.slice(0, 10))).toEqual(['page 2: 0x', 'page 3: 0x']);
  });

  it('a short read of the entries is a harness fault, not a kernel failure', () => {
    const { c, compiled, record } = observeCase('pagemap/pg1-present-after-touch', (s) => s.replace('{ region: a, page: 0, pages: 1, present: false }', '{ region: a, page: 0, pages: 2, present: false }'));
    const v = judgeCase(compiled, c, record);
    expect(v.verdict).toBe('broken');
    expect(v.failures.find((f) => f.kind === 'harness')?.message).toBe('steps[5] (parent) plan step 8 pagemap: 1 pagemap entries for 2 pages');
  });
});

describe('positions', () => {
  const edits: [string, string, string][] = [
    ['procmap-query/q1-ioctl-only-on-maps', '{ region: a, file: smaps, errno: ENOTTY }', '{ region: a, file: smaps, errno: EINVAL }'],
    ['map-files/mf4-readlink-and-follow', '{ region: s, link: "/dev/zero (deleted)", open: ok }', '{ region: s, link: "/dev/zero", open: EPERM }'],
    ['pagemap/pg1-present-after-touch', 'swapped: false, exclusive: true, file_shared: false }', 'swapped: false, exclusive: false, file_shared: true }'],
    ['formats/f4-shared-anon-lines', '00001000 00:01 {inode}', '00001000 00:02 {inode}'],
    ['formats/f6-smaps-has-no-name-line', 'smaps: [ { region: a, name: "[anon:same text]" } ]', 'smaps: [ { region: a, name: "[anon:same]" } ]'],
    ['accounting/a3-after-child-exits', 'Rss: 16, Pss: 8, Shared_Dirty: 16', 'Rss: 16, Pss: 9, Shared_Dirty: 16'],
  ];

  it.each(edits)('%s: each failure is at the item the edit is in', (id, from, to) => {
    // The edited item is the flow mapping `{ region … }` on the line of the edit.
    const lines = observeSource(id).replace(from, to).split('\n');
    const line = lines.findIndex((l) => l.includes(to)) + 1;
    const col = (lines[line - 1] ?? '').indexOf('{ region') + 1;
    const fs = failuresAfter(id, from, to);
    expect(fs.length).toBeGreaterThan(0);
    expect(fs.map((f) => f.pos)).toEqual(fs.map(() => ({ file: `cases/${id}.yaml`, line, col })));
  });
});
