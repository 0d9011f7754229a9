// Parsers of the observation records, on the stream the real 6.12 guest wrote (streams/observe.txt).
import { describe, expect, it } from 'vitest';
import { parseMapFileRecord } from '../../runner/results/mapfiles.js';
import { obsTexts, ObservationError } from '../../runner/results/observe.js';
import { pagemapBit, pagemapPfn, parsePagemap } from '../../runner/results/pagemap.js';
import { parseQueryRecord, queryName, vmaFlagWords } from '../../runner/results/query.js';
import { fieldValue, parseRollup, parseSmaps } from '../../runner/results/smaps.js';
import { parseResultStream } from '../../runner/results/stream.js';
import { observeStep, observeStream } from '../fixtures/observe.js';

const F7 = [
  'Size', 'KernelPageSize', 'MMUPageSize', 'Rss', 'Pss', 'Pss_Dirty', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean',
  'Private_Dirty', 'Referenced', 'Anonymous', 'KSM', 'LazyFree', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped',
  'Shared_Hugetlb', 'Private_Hugetlb', 'Swap', 'SwapPss', 'Locked', 'THPeligible', 'VmFlags',
];

describe('the stream parser keeps observation records', () => {
  it('attaches A/U/Q/L/P records to their step, in order, and leaves nothing over', () => {
    expect(observeStream.complete).toBe(true);
    expect(observeStream.garbage).toEqual([]);
    const smaps = observeStep('accounting/a1-touched-named-private', 'smaps');
    expect(smaps.obs?.every((o) => o.letter === 'A')).toBe(true);
    expect(smaps.obs?.[0]?.text).toBe('200000000000-200000003000 ---p 00000000 00:00 0                          [anon:vmaspec:window]');
    // VmFlags keeps its trailing space
    expect(obsTexts(smaps.obs, 'A').filter((t) => t.startsWith('VmFlags:'))).toContain('VmFlags: rd wr mr mw me ac ');
  });

  it('reports observation records after their step as garbage', () => {
    const s = parseResultStream('vmaspec-results 1\nT 0 begin 0\nS 3 0 0\nP 3 0 0\nT 0 end exit:0 0 5\nD\n');
    expect(s.garbage).toEqual([{ line: 4, text: 'P 3 0 0', reason: 'observation record after the S record of step 3' }]);
  });
});

describe('parseSmaps', () => {
  const blocks = parseSmaps(obsTexts(observeStep('accounting/a1-touched-named-private', 'smaps').obs, 'A'));

  it('splits the window VMAs into blocks with fields in kernel order (F7)', () => {
    expect(blocks.map((b) => b.entry.name)).toEqual(['[anon:vmaspec:window]', '[anon:acct]', '[anon:vmaspec:window]']);
    const acct = blocks[1];
    expect(acct?.order).toEqual(F7);
    expect(acct?.vmFlags).toEqual(['rd', 'wr', 'mr', 'mw', 'me', 'ac']);
    expect(fieldValue(acct?.fields ?? [], 'Rss')).toBe(16);
    expect(acct?.fields.find((f) => f.name === 'Rss')).toEqual({ name: 'Rss', value: 16, unit: 'kB', raw: 'Rss:                  16 kB' });
    expect(acct?.fields.find((f) => f.name === 'THPeligible')).toMatchObject({ value: 0, unit: '' });
  });

  it('rejects a field before any header and a line of another shape', () => {
    expect(() => parseSmaps(['Rss:                  16 kB'])).toThrow(ObservationError);
    const header = blocks[1]?.header ?? '';
    expect(() => parseSmaps([header, 'Rss: sixteen'])).toThrow(/not `Name: value \[kB\]`/);
  });
});

describe('parseRollup', () => {
  const rec = observeStep('formats/f8-smaps-rollup', 'rollup');
  const rollup = parseRollup(obsTexts(rec.obs, 'U'));

  it('reads the [rollup] header and the F8 fields', () => {
    expect(rollup.entry).toMatchObject({ name: '[rollup]', perms: '---p', start: 0x400000n, inode: 0n });
    expect(rollup.header.indexOf('[rollup]')).toBe(73);
    expect(rollup.order).toEqual([
      'Rss', 'Pss', 'Pss_Dirty', 'Pss_Anon', 'Pss_File', 'Pss_Shmem', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean',
      'Private_Dirty', 'Referenced', 'Anonymous', 'KSM', 'LazyFree', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped',
      'Shared_Hugetlb', 'Private_Hugetlb', 'Swap', 'SwapPss', 'Locked',
    ]);
  });

  it('comes with the maps lines of its bounds: the first VMA and [stack]', () => {
    expect(rec.maps).toHaveLength(2);
    expect(rec.maps[0]).toMatch(/^00400000-[0-9a-f]+ r--p .* \/bin\/vmaprobe$/);
    expect(rec.maps[1]).toMatch(/\[stack\]$/);
    expect(rollup.entry.end).toBe(BigInt(`0x${rec.maps[1]?.split('-')[1]?.split(' ')[0]}`));
  });
});

describe('parseQueryRecord', () => {
  it('reads the out fields and the NUL-terminated name (Q2, Q4)', () => {
    const rec = observeStep('procmap-query/q4-name-size', 'query', 0);
    const q = parseQueryRecord(obsTexts(rec.obs, 'Q')[0] ?? '');
    expect(q).toMatchObject({ start: 0x200000002000n, end: 0x200000003000n, vmaFlags: 3, pageSize: 4096, offset: 0n, inode: 0n, devMajor: 0, devMinor: 0, nameSize: 11 });
    expect(queryName(q)).toEqual({ text: '[anon:foo]', terminated: true });
    expect(vmaFlagWords(q.vmaFlags)).toEqual(['readable', 'writable']);
  });

  it('has no record when the ioctl failed', () => {
    const rec = observeStep('procmap-query/q4-name-size', 'query', 2);
    expect(rec).toMatchObject({ ret: -1, errno: 36 });
    expect(obsTexts(rec.obs, 'Q')).toEqual([]);
  });

  it('gives an unnamed VMA no name and rejects a malformed record', () => {
    const rec = observeStep('procmap-query/q4-name-size', 'query', 3);
    const q = parseQueryRecord(obsTexts(rec.obs, 'Q')[0] ?? '');
    expect(q.nameSize).toBe(0);
    expect(queryName(q).text).toBe('');
    expect(() => parseQueryRecord('200000002000 200000003000 3')).toThrow(ObservationError);
  });
});

describe('parseMapFileRecord', () => {
  it('reads the looked-up name, the link and the errnos (MF2, MF3)', () => {
    const upper = parseMapFileRecord(obsTexts(observeStep('map-files/mf3-entry-name-spelling', 'mapfile', 1).obs, 'L')[0] ?? '');
    expect(upper).toEqual({ name: '20000000A000-20000000C000', readlinkErrno: 0, target: '/dev/zero (deleted)', openErrno: 0 });
    const space = parseMapFileRecord(obsTexts(observeStep('map-files/mf3-entry-name-spelling', 'mapfile', 5).obs, 'L')[0] ?? '');
    expect(space).toEqual({ name: '20000000a000-20000000c000 ', readlinkErrno: 2, target: null, openErrno: 2 });
  });
});

describe('parsePagemap', () => {
  it('reads one entry per page with the PG1 bits', () => {
    const entries = parsePagemap(obsTexts(observeStep('pagemap/pg1-present-after-touch', 'pagemap', 2).obs, 'P'));
    // items 0-1 are the first expect's; item 2 is region a's page 0 (window page 1), item 3 its touched pages 1-2
    expect(entries.map((e) => e.page)).toEqual([1]);
    const touched = parsePagemap(obsTexts(observeStep('pagemap/pg1-present-after-touch', 'pagemap', 3).obs, 'P'));
    expect(touched.map((e) => e.page)).toEqual([2, 3]);
    for (const e of touched) {
      expect(pagemapBit(e.entry, 'present')).toBe(true);
      expect(pagemapBit(e.entry, 'exclusive')).toBe(true);
      expect(pagemapBit(e.entry, 'file_shared')).toBe(false);
      expect(pagemapPfn(e.entry)).toBeGreaterThan(0n); // root in the guest: the PFN is shown
    }
    expect(() => parsePagemap(['2 xyz'])).toThrow(ObservationError);
  });
});
