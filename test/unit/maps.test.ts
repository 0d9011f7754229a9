import { describe, expect, it } from 'vitest';
import { damagedGuards, MapsLineError, NAME_COLUMN, parseMapsLine, windowLayout, windowVmas } from '../../runner/results/maps.js';
import type { WindowInfo } from '../../runner/results/types.js';
import { fixture } from '../fixtures/plans.js';

const lines = (name: string): string[] => fixture(`maps/${name}`).split('\n').slice(0, -1);
const window: WindowInfo = { base: 0x200000001000n, pages: 8, pageSize: 4096, reserveNamed: true };

/** `line` (a real maps line) with its name column replaced, padded as the kernel pads it (F2, F3). */
const named = (line: string, name: string): string => {
  const head = line.slice(0, line.indexOf(' 00:') + ' 00:00 0'.length);
  return name === '' ? `${head} ` : `${head} `.padEnd(NAME_COLUMN, ' ') + name;
};

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

// The reserve is told apart by its perms, its range and its name. The lines are the guest's own
// (maps/s1-window-named.maps is step 3 of case 0 of streams/pass-fail-crash.txt: window 8, `a`
// at pages 0-2, `mid` on page 1), with one column changed as a kernel that got it wrong would print it.
describe('the window reserve', () => {
  const real = lines('s1-window-named.maps');
  const [guardLo = '', a0 = '', mid = '', a2 = '', guardHi = ''] = real;

  it('a case mapping named vmaspec:window inside the window is a case VMA, judged on its name', () => {
    const got = windowLayout([guardLo, a0, named(mid, '[anon:vmaspec:window]'), a2, guardHi], window);
    expect(got.map((v) => [v.at, v.pages, v.perms, v.name])).toEqual([
      [0, 1, 'rw-p', ''],
      [1, 1, 'rw-p', '[anon:vmaspec:window]'],
      [2, 1, 'rw-p', ''],
    ]);
  });

  it('a ---p piece with the reserve name inside the window is a hole, left out (merge and mremap cases leave them)', () => {
    const hole = '200000002000-200000003000 ---p 00000000 00:00 0                          [anon:vmaspec:window]';
    expect(parseMapsLine(hole).name).toBe('[anon:vmaspec:window]');
    expect(windowLayout([guardLo, a0, hole, a2, guardHi], window).map((v) => v.at)).toEqual([0, 2]);
  });

  it('a ---p VMA with another name inside the window is the case\'s (a hole renamed by a name step across it)', () => {
    const renamed = '200000002000-200000003000 ---p 00000000 00:00 0                          [anon:x]';
    expect(windowLayout([guardLo, a0, renamed, a2, guardHi], window).map((v) => [v.at, v.perms, v.name])).toEqual([
      [0, 'rw-p', ''],
      [1, '---p', '[anon:x]'],
      [2, 'rw-p', ''],
    ]);
  });

  it('lists the guard pieces as reserve, also those holding no window page', () => {
    expect(windowVmas(real, window).map((v) => [v.at, v.pages, v.reserve])).toEqual([
      [-1, 1, true],
      [0, 1, false],
      [1, 1, false],
      [2, 1, false],
      [3, 6, true],
    ]);
  });

  it('the intact reserve has no damaged guard page', () => {
    expect(damagedGuards(windowVmas(real, window), window)).toEqual([]);
    expect(damagedGuards(windowVmas(lines('window-reserve-memfd.maps'), { ...window, pages: 32, reserveNamed: false }), { ...window, pages: 32, reserveNamed: false })).toEqual([]);
    const unnamed = { ...window, reserveNamed: false };
    expect(damagedGuards(windowVmas(lines('window-reserve-unnamed.maps'), unnamed), unnamed)).toEqual([]);
  });

  it('a reserve piece whose name is wrong: still the reserve (by its range), and its guard page is damaged', () => {
    for (const name of ['', '[anon:a]']) {
      const vmas = windowVmas([named(guardLo, name), a0, mid, a2, guardHi], window);
      expect(vmas[0]).toMatchObject({ at: -1, pages: 1, reserve: true, name });
      expect(windowLayout([named(guardLo, name), a0, mid, a2, guardHi], window).map((v) => v.at)).toEqual([0, 1, 2]);
      expect(damagedGuards(vmas, window)).toEqual([{ page: -1, address: '0x200000000000', vma: vmas[0] }]);
    }
  });

  it('a guard page a name step reached: not checked, and a VMA holding only it is listed once it is not the reserve', () => {
    const renamed = [named(guardLo, '[anon:s]'), a0, mid, a2, guardHi];
    const vmas = windowVmas(renamed, window, [-1]);
    expect(vmas[0]).toMatchObject({ at: -1, pages: 1, reserve: false, name: '[anon:s]' });
    expect(windowLayout(renamed, window, [-1]).map((v) => v.at)).toEqual([-1, 0, 1, 2]);
    expect(damagedGuards(vmas, window, [-1])).toEqual([]);
    // Reached but still the reserve (the kernel did not rename it): a reserve piece, as before.
    expect(windowVmas([guardLo, a0, mid, a2, guardHi], window, [-1])[0]).toMatchObject({ at: -1, reserve: true });
  });

  it('a guard page held by a case VMA, or by nothing, is damaged', () => {
    const grown = windowVmas(lines('window-growsdown.maps'), window);
    expect(damagedGuards(grown, window)).toEqual([{ page: -1, address: '0x200000000000', vma: grown[0] }]);
    expect(damagedGuards(windowVmas([a0, mid, a2, guardHi], window), window)).toEqual([{ page: -1, address: '0x200000000000', vma: null }]);
    const rw = windowVmas([guardLo, a0, mid, a2, guardHi.replace('---p', 'rw-p')], window);
    expect(damagedGuards(rw, window)).toMatchObject([{ page: 8, address: '0x200000009000', vma: { at: 3, perms: 'rw-p', reserve: false } }]);
  });
});
