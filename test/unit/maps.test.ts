import { describe, expect, it } from 'vitest';
import { MapsLineError, NAME_COLUMN, parseMapsLine, windowLayout } from '../../runner/results/maps.js';
import type { WindowInfo } from '../../runner/results/types.js';
import { fixture } from '../fixtures/plans.js';

const lines = (name: string): string[] => fixture(`maps/${name}`).split('\n').slice(0, -1);
const window: WindowInfo = { base: 0x200000001000n, pages: 8, pageSize: 4096, reserveNamed: true };

describe('parseMapsLine', () => {
  it('parses an unnamed anonymous line with its trailing space (F3)', () => {
    const line = '200000001000-200000004000 rw-p 00000000 00:00 0 ';
    expect(parseMapsLine(line)).toEqual({
      start: 0x200000001000n,
      end: 0x200000004000n,
      perms: 'rw-p',
      offset: 0n,
      devMajor: 0,
      devMinor: 0,
      inode: 0n,
      name: '',
    });
  });

  it('takes the name from byte 73 (F2)', () => {
    const line = lines('s1-window-named.maps')[2] ?? '';
    expect(line.indexOf('[')).toBe(NAME_COLUMN);
    expect(parseMapsLine(line).name).toBe('[anon:mid]');
  });

  it('parses every line of a whole-process maps file', () => {
    const entries = lines('process.maps').map(parseMapsLine);
    expect(entries.map((e) => e.name)).toEqual([
      '/bin/vmaprobe', '/bin/vmaprobe', '/bin/vmaprobe', '/bin/vmaprobe', '[heap]',
      '[anon:vmaspec:window]', '', '[anon:vmaspec:window]',
      '[anon_shmem:s]', '/dev/zero (deleted)', '[anon:a b]', '[stack]', '[vvar]', '[vdso]', '[vsyscall]',
    ]);
    expect(entries[1]).toMatchObject({ perms: 'r-xp', offset: 0x1000n, devMajor: 0, devMinor: 2, inode: 5n });
    expect(entries[8]).toMatchObject({ perms: 'rw-s', offset: 0x1000n, devMinor: 1, inode: 6n });
    expect(entries.at(-1)?.start).toBe(0xffffffffff600000n);
  });

  it('puts the name one space after a header that reaches the column', () => {
    const head = 'ffffffffff600000-ffffffffff601000 r--p 00000000 103:02 12345678901234567 ';
    expect(head.length).toBeGreaterThanOrEqual(72);
    expect(parseMapsLine(`${head} /a`)).toMatchObject({ devMajor: 0x103, inode: 12345678901234567n, name: '/a' });
  });

  it('keeps spaces inside the name', () => {
    expect(parseMapsLine(`${'7f0000000000-7f0000001000 rw-p 00000000 00:00 0 '.padEnd(73)}[anon: x ]`).name).toBe('[anon: x ]');
  });

  it('accepts an unnamed line whose trailing space was stripped', () => {
    expect(parseMapsLine('200000001000-200000004000 rw-p 00000000 00:00 0').name).toBe('');
  });

  it('rejects lines off the format', () => {
    const bad = [
      '200000001000-200000004000 rw-p 00000000 00:00 0 [anon:x]', // name not at byte 73
      '200000001000-200000004000 rw-p 00000000 00:00', // no inode
      '200000001000-200000004000 rw- 00000000 00:00 0 ', // perms
      '200000004000-200000001000 rw-p 00000000 00:00 0 ', // end below start
      '200000001000-200000004000 rw-p 00000000 00:00 0  ', // padding without a name
      'garbage',
    ];
    for (const line of bad) expect(() => parseMapsLine(line), line).toThrow(MapsLineError);
  });
});

describe('windowLayout', () => {
  it('drops the named reserve and gives pages relative to page 0', () => {
    expect(windowLayout(lines('s1-window-named.maps'), window).map(({ at, pages, perms, name, address }) => ({ at, pages, perms, name, address }))).toEqual([
      { at: 0, pages: 1, perms: 'rw-p', name: '', address: '0x200000001000' },
      { at: 1, pages: 1, perms: 'rw-p', name: '[anon:mid]', address: '0x200000002000' },
      { at: 2, pages: 1, perms: 'rw-p', name: '', address: '0x200000003000' },
    ]);
  });

  it('keeps the raw line', () => {
    const raw = lines('s1-window-named.maps');
    expect(windowLayout(raw, window)[0]?.line).toBe(raw[1]);
  });

  it('reports the real start of a VMA that begins before the window', () => {
    expect(windowLayout(lines('window-growsdown.maps'), window)).toMatchObject([{ at: -1, pages: 3, name: '[anon:g]' }]);
  });

  it('without a reserve name, drops unnamed ---p pieces past the edges only', () => {
    const got = windowLayout(lines('window-reserve-unnamed.maps'), { ...window, reserveNamed: false });
    expect(got.map((v) => [v.at, v.pages, v.perms, v.name])).toEqual([
      [0, 2, 'rw-p', '[anon:a]'],
      [2, 2, '---p', ''],
      [4, 1, 'r--p', ''],
    ]);
  });

  it('on a kernel without ANON_VMA_NAME, drops the memfd reserve, also between two case mappings (merge/m2 there)', () => {
    const got = windowLayout(lines('window-reserve-memfd.maps'), { ...window, pages: 32, reserveNamed: false });
    expect(got.map((v) => [v.at, v.pages, v.perms, v.name])).toEqual([
      [2, 2, 'r--p', ''],
      [4, 2, 'r--p', ''],
      [10, 4, 'r--p', ''],
    ]);
  });

  it('with a reserve name, keeps unnamed ---p VMAs', () => {
    const got = windowLayout(lines('window-reserve-unnamed.maps'), window);
    expect(got.map((v) => v.at)).toEqual([0, 2, 4, 5]);
  });

  it('ignores VMAs outside the window', () => {
    expect(windowLayout(lines('process.maps'), window).map((v) => [v.at, v.pages])).toEqual([[0, 3]]);
  });
});
