// The added steps (runner/cases/steps/): what the validator makes of them, and the
// diagnostics of the mistakes a case author makes (file:line:col: key.path: message).
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parseCase } from '../../runner/cases/load.js';
import type { Case, Step } from '../../runner/cases/types.js';

const FILE = 'cases/x/steps.yaml';

function parse(steps: string, extra = ''): { c: Case | null; errors: string[] } {
  const src = `title: t\n${extra}steps:\n${steps}`;
  const r = parseCase(src, FILE, 'x/steps');
  return { c: r.case, errors: r.diagnostics.map((d) => formatDiagnostic(d, { excerpt: false })) };
}

function steps(text: string): Step[] {
  const { c, errors } = parse(text);
  expect(errors).toEqual([]);
  return c?.steps ?? [];
}

const errorsOf = (text: string): string[] => parse(text).errors;

describe('map backings', () => {
  it('reads tmpfs with unlink, memfd, zero; anon stays without a backing', () => {
    const s = steps(
      [
        '  - map: { id: f, at: 0, pages: 2, backing: tmpfs, shared: true, unlink: after }',
        '  - map: { id: g, at: 2, pages: 1, backing: tmpfs, unlink: never }',
        '  - map: { id: m, at: 4, pages: 1, backing: memfd }',
        '  - map: { id: z, at: 6, pages: 1, backing: zero, shared: true }',
        '  - map: { id: a, at: 8, pages: 1, backing: anon }',
        '',
      ].join('\n'),
    );
    expect(s.map((x) => (x.kind === 'map' ? [x.shared, x.backing ?? null] : null))).toEqual([
      [true, { kind: 'tmpfs', unlink: 'after' }],
      [false, { kind: 'tmpfs', unlink: null }],
      [false, { kind: 'memfd' }],
      [true, { kind: 'zero' }],
      [false, null],
    ]);
  });

  it('reports a bad backing and unlink without tmpfs', () => {
    expect(errorsOf('  - map: { at: 0, pages: 1, backing: file }\n  - map: { at: 2, pages: 1, backing: memfd, unlink: before }\n')).toEqual([
      'cases/x/steps.yaml:3:38: steps[0].map.backing: invalid value "file"; allowed: anon, tmpfs, memfd, zero',
      'cases/x/steps.yaml:4:45: steps[1].map.unlink: unlink is only for backing: tmpfs (a file with a name to unlink); backing here is memfd',
    ]);
  });
});

describe('name: pointers, u64 len, targets', () => {
  it('carries a bad pointer, and no name bytes for unmapped', () => {
    const s = steps(
      ['  - map: { id: a, at: 2, pages: 1 }', '  - name: { region: a, pointer: unmapped, errno: EFAULT }', '  - name: { region: a, pointer: runs-off, name: abc, errno: EFAULT }', ''].join('\n'),
    );
    expect(s[1]).toMatchObject({ kind: 'name', pointer: 'unmapped', name: null, outcome: { errno: 'EFAULT' } });
    expect(s[2]).toMatchObject({ kind: 'name', pointer: 'runs-off', name: new TextEncoder().encode('abc') });
  });

  it('reads len beyond 2^53 exactly, as an integer, a decimal string or 0x hex, and skips the window check for it', () => {
    const s = steps(
      [
        '  - map: { id: a, at: 2, pages: 1 }',
        '  - name: { region: a, len: 18446744073709547520, name: x, errno: EINVAL }',
        '  - name: { region: a, len: "18446744073709551615", name: x, errno: EINVAL }',
        '  - name: { region: a, len: "0xfffffffffffff000", name: x, errno: EINVAL }',
        '  - name: { region: a, len: 4096, name: x }',
        '',
      ].join('\n'),
    );
    const lens = s.filter((x) => x.kind === 'name').map((x) => (x.kind === 'name' ? x.len : null));
    expect(lens).toEqual([18446744073709547520n, 18446744073709551615n, 18446744073709547520n, 4096]);
  });

  it('rejects a len past 2^64-1, a number past the window, and name with pointer unmapped or null with runs-off', () => {
    expect(
      errorsOf(
        [
          '  - map: { id: a, at: 2, pages: 1 }',
          '  - name: { region: a, len: 18446744073709551616, name: x }',
          '  - name: { region: a, len: 1000000, name: x }',
          '  - name: { region: a, pointer: unmapped, name: x }',
          '  - name: { region: a, pointer: runs-off, name: null }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'cases/x/steps.yaml:4:29: steps[1].name.len: expected a byte length, an integer from 0 to 18446744073709551615 (a string of digits or 0x hex also works), got integer 18446744073709551616',
      "cases/x/steps.yaml:5:29: steps[2].name.len: len 1000000 from byte 8192 runs past page 33 (2 pages beyond the window's 32)",
      'cases/x/steps.yaml:6:43: steps[3].name.name: pointer: unmapped passes an address with nothing mapped: no name bytes are used; drop name',
      'cases/x/steps.yaml:7:49: steps[4].name.name: pointer: runs-off places the name\'s bytes; give them as a string, { hex } or { repeat, count }, not null',
    ]);
  });

  it('names a target; the heap needs an earlier brk', () => {
    const s = steps('  - brk: { grow: 2 }\n  - name: { target: heap, name: h }\n  - name: { target: vdso-page, name: null, errno: EINVAL }\n');
    expect(s[0]).toMatchObject({ kind: 'brk', pages: 2 });
    expect(s[1]).toMatchObject({ kind: 'name', target: 'heap', name: new TextEncoder().encode('h') });
    expect(s[2]).toMatchObject({ kind: 'name', target: 'vdso-page', name: null, outcome: { errno: 'EINVAL' } });
    expect(errorsOf('  - name: { target: heap, name: h }\n  - name: { target: vdso, region: a, name: v }\n')).toEqual([
      'cases/x/steps.yaml:3:21: steps[0].name.target: the heap does not exist until brk grows it; add a step brk: { grow: 1 } before this one',
      'cases/x/steps.yaml:4:27: steps[1].name.region: unknown key "region"; allowed: target, name, errno',
    ]);
  });
});

describe('mremap', () => {
  it('moves the region id to the new place (and keeps it when the call is expected to fail)', () => {
    const s = steps(
      [
        '  - map: { id: b, at: 10, pages: 2 }',
        '  - mremap: { region: b, to: 4 }',
        '  - mremap: { region: b, size: 3 }',
        '  - mremap: { region: b, size: 9, errno: ENOMEM }',
        '  - touch: { region: b }',
        '',
      ].join('\n'),
    );
    expect(s[1]).toMatchObject({ kind: 'mremap', range: { at: 10, pages: 2 }, newPages: 2, to: 4, flags: 3 });
    expect(s[2]).toMatchObject({ kind: 'mremap', range: { at: 4, pages: 2 }, newPages: 3, to: null, flags: 0 });
    expect(s[3]).toMatchObject({ kind: 'mremap', range: { at: 4, pages: 3 }, newPages: 9 });
    expect(s[4]).toMatchObject({ kind: 'touch', range: { at: 4, pages: 3 } });
  });

  it('a part, dontunmap or at as the source: the region keeps its place and id names the destination', () => {
    const s = steps(
      [
        '  - map: { id: a, at: 2, pages: 3 }',
        '  - mremap: { region: a, page: 1, pages: 1, to: 10, size: 2, id: m }',
        '  - touch: { region: a }',
        '  - touch: { region: m }',
        '  - mremap: { region: m, to: 20, dontunmap: true, id: d }',
        '  - touch: { region: m }',
        '  - touch: { region: d }',
        '  - mremap: { at: 2, pages: 1, to: 14, id: e }',
        '  - touch: { region: e }',
        '',
      ].join('\n'),
    );
    expect(s[1]).toMatchObject({ kind: 'mremap', range: { at: 3, pages: 1 }, newPages: 2, to: 10, flags: 3 });
    expect(s[2]).toMatchObject({ kind: 'touch', range: { at: 2, pages: 3 } });
    expect(s[3]).toMatchObject({ kind: 'touch', range: { at: 10, pages: 2 } });
    expect(s[4]).toMatchObject({ kind: 'mremap', range: { at: 10, pages: 2 }, flags: 7 });
    expect(s[5]).toMatchObject({ kind: 'touch', range: { at: 10, pages: 2 } });
    expect(s[6]).toMatchObject({ kind: 'touch', range: { at: 20, pages: 2 } });
    expect(s[8]).toMatchObject({ kind: 'touch', range: { at: 14, pages: 1 } });
  });

  it('takes raw flags as words or a number', () => {
    const s = steps('  - map: { id: a, at: 2, pages: 2 }\n  - mremap: { region: a, to: 10, flags: [dontunmap], errno: EINVAL }\n  - mremap: { region: a, flags: 8, errno: EINVAL }\n');
    expect(s[1]).toMatchObject({ kind: 'mremap', flags: 4, to: 10, outcome: { errno: 'EINVAL' } });
    expect(s[2]).toMatchObject({ kind: 'mremap', flags: 8, to: null });
  });

  it('a move in a fork branch stays in that branch', () => {
    const s = steps(
      [
        '  - map: { id: b, at: 10, pages: 2 }',
        '  - fork:',
        '      child:',
        '        - mremap: { region: b, to: 2 }',
        '        - touch: { region: b }',
        '      parent:',
        '        - touch: { region: b }',
        '',
      ].join('\n'),
    );
    const fork = s[1];
    expect(fork?.kind).toBe('fork');
    if (fork?.kind !== 'fork') return;
    expect(fork.child[1]).toMatchObject({ kind: 'touch', range: { at: 2, pages: 2 } });
    expect(fork.parent[0]).toMatchObject({ kind: 'touch', range: { at: 10, pages: 2 } });
  });

  it('needs a source, a destination inside the window, and pages with at', () => {
    expect(errorsOf('  - map: { id: b, at: 10, pages: 2 }\n  - mremap: { region: b, to: 31 }\n  - mremap: { at: 2 }\n  - mremap: { to: 3 }\n  - mremap: { region: b, size: 23 }\n  - mremap: { region: b, pages: 3 }\n')).toEqual([
      'cases/x/steps.yaml:4:30: steps[1].mremap.to: 2 pages at page 31 run past the window (32 pages)',
      'cases/x/steps.yaml:5:13: steps[2].mremap: missing required key "pages"',
      'cases/x/steps.yaml:6:13: steps[3].mremap: missing required key "region" or "at"',
      'cases/x/steps.yaml:7:32: steps[4].mremap.size: 23 pages at page 10 run past the window (32 pages)',
      'cases/x/steps.yaml:8:33: steps[5].mremap.pages: pages 3 from page 0 runs past region "b" (2 pages); use at: for a range across regions',
    ]);
  });

  it('reports dontunmap without to or with another size, MAYMOVE without FIXED, bad flags, and a misplaced id', () => {
    expect(
      errorsOf(
        [
          '  - map: { id: a, at: 2, pages: 2 }',
          '  - mremap: { region: a, dontunmap: true }',
          '  - mremap: { region: a, to: 10, dontunmap: true, size: 3 }',
          '  - mremap: { region: a, to: 10, flags: [maymove] }',
          '  - mremap: { region: a, flags: [fixed] }',
          '  - mremap: { region: a, to: 10, flags: [move] }',
          '  - mremap: { region: a, to: 10, flags: 3, dontunmap: true }',
          '  - mremap: { region: a, to: 10, id: b }',
          '  - mremap: { region: a, page: 1, to: 10, id: a }',
          '  - mremap: { region: a, page: 1, to: 10, id: c, errno: EFAULT }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'cases/x/steps.yaml:4:26: steps[1].mremap.dontunmap: dontunmap needs `to` (MREMAP_DONTUNMAP is always a move)',
      'cases/x/steps.yaml:5:57: steps[2].mremap.size: dontunmap keeps the size (2 pages here); another size is EINVAL: give errno: EINVAL or drop size',
      'cases/x/steps.yaml:6:41: steps[3].mremap.flags: MREMAP_MAYMOVE without MREMAP_FIXED lets the kernel move the region out of the window; give `to`',
      'cases/x/steps.yaml:7:33: steps[4].mremap.flags: MREMAP_FIXED moves to `to`; give to (the window page)',
      'cases/x/steps.yaml:8:42: steps[5].mremap.flags[0]: invalid value "move"; allowed: maymove, fixed, dontunmap',
      'cases/x/steps.yaml:9:44: steps[6].mremap.dontunmap: flags gives the raw flags; put dontunmap in its list',
      'cases/x/steps.yaml:10:34: steps[7].mremap.id: the whole region "a" moves and keeps its id; id names the destination only when the source stays (part of a region, dontunmap, or at)',
      'cases/x/steps.yaml:11:47: steps[8].mremap.id: duplicate region id "a"; already defined at steps[0].map.id (line 3)',
      'cases/x/steps.yaml:12:43: steps[9].mremap.id: a failed mremap (errno: EFAULT) makes no destination; drop id',
    ]);
  });
});

describe('madvise, process_madvise, sysctl, touch', () => {
  it('maps advice names and numbers to MADV_ values', () => {
    const s = steps('  - map: { id: a, at: 2, pages: 3 }\n  - madvise: { region: a, page: 1, pages: 1, advice: dontfork }\n  - madvise: { at: 2, pages: 1, advice: 999, errno: EINVAL }\n');
    expect(s[1]).toMatchObject({ kind: 'madvise', range: { at: 3, pages: 1 }, advice: 'dontfork', adviceNumber: 10 });
    expect(s[2]).toMatchObject({ kind: 'madvise', adviceNumber: 999, outcome: { errno: 'EINVAL' } });
  });

  it('allows process_madvise only in parent steps, with ret only on success', () => {
    const s = steps('  - map: { id: a, at: 2, pages: 2 }\n  - fork:\n      child: []\n      parent:\n        - process_madvise: { region: a, advice: cold, ret: 8192 }\n');
    const fork = s[1];
    if (fork?.kind !== 'fork') throw new Error('no fork');
    expect(fork.parent[0]).toMatchObject({ kind: 'process_madvise', adviceNumber: 20, outcome: { errno: null, ret: 8192 } });
    expect(
      errorsOf(
        [
          '  - map: { id: a, at: 2, pages: 2 }',
          '  - process_madvise: { region: a, advice: cold }',
          '  - fork:',
          '      child:',
          '        - process_madvise: { region: a, advice: cold }',
          '      parent:',
          '        - process_madvise: { region: a, advice: cold, ret: 1, errno: EINVAL }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      "cases/x/steps.yaml:4:22: steps[1].process_madvise: process_madvise advises the child of the enclosing fork: use it in a fork's parent: steps (the child is alive there)",
      "cases/x/steps.yaml:7:28: steps[2].fork.child[0].process_madvise: process_madvise advises the child of the enclosing fork: use it in a fork's parent: steps (the child is alive there)",
      'cases/x/steps.yaml:9:55: steps[2].fork.parent[0].process_madvise.ret: ret is the return value on success; with errno: EINVAL the call returns -1',
    ]);
  });

  it('reads sysctl values: a number (any i64/u64) or current_maps ± n', () => {
    const s = steps('  - sysctl: { key: vm.max_map_count, value: { current_maps: -2 } }\n  - sysctl: { key: vm.max_map_count, value: 65530 }\n  - sysctl: { key: kernel.x, value: "-1" }\n');
    expect(s.map((x) => (x.kind === 'sysctl' ? x.value : null))).toEqual([
      { kind: 'current_maps', delta: -2 },
      { kind: 'number', value: 65530n },
      { kind: 'number', value: -1n },
    ]);
    expect(errorsOf('  - sysctl: { key: vm/x, value: 1 }\n  - sysctl: { key: vm.x, value: { maps: 1 } }\n')).toEqual([
      'cases/x/steps.yaml:3:20: steps[0].sysctl.key: invalid sysctl key "vm/x"; expected dotted lower-case words as in sysctl(8), e.g. vm.max_map_count',
      "cases/x/steps.yaml:4:33: steps[1].sysctl.value: missing required key \"current_maps\" (the process's VMA count at this step, plus n)",
      'cases/x/steps.yaml:4:35: steps[1].sysctl.value.maps: unknown key "maps"; allowed: current_maps',
    ]);
  });

  it('takes errno EFAULT on touch, and nothing else', () => {
    const s = steps('  - map: { id: a, at: 2, pages: 1, prot: none }\n  - touch: { region: a, access: read, errno: EFAULT }\n');
    expect(s[1]).toMatchObject({ kind: 'touch', access: 'r', outcome: { errno: 'EFAULT' } });
    expect(errorsOf('  - map: { id: a, at: 2, pages: 1 }\n  - touch: { region: a, errno: ENOMEM }\n')).toEqual([
      'cases/x/steps.yaml:4:32: steps[1].touch.errno: a touch fails only with EFAULT (the page faulted: SIGSEGV or SIGBUS), not ENOMEM',
    ]);
  });
});

describe('expect.special', () => {
  it('reads per-VMA lists and checks they agree with vmas', () => {
    const s = steps('  - brk: { grow: 1 }\n  - expect: { special: [ { target: heap, vmas: 1, names: ["[heap]"], perms: [rw-p], pages: [1] } ] }\n');
    expect(s[1]).toMatchObject({ kind: 'expect', expect: { special: [{ target: 'heap', vmas: 1, names: ['[heap]'], perms: ['rw-p'], pages: [1] }] } });
    expect(
      errorsOf('  - expect: { special: [ { target: stack, vmas: 1, names: [a, b] }, { target: vdso }, { target: child, vmas: 1 }, { target: vvar, perms: [rwxq] } ] }\n'),
    ).toEqual([
      'cases/x/steps.yaml:3:26: steps[0].expect.special[0]: names describes 2 VMA(s) but vmas 1; give one entry per VMA',
      'cases/x/steps.yaml:3:69: steps[0].expect.special[1]: a special entry needs at least one of: vmas, names, perms, pages, grown',
      "cases/x/steps.yaml:3:97: steps[0].expect.special[2].target: target child reads the maps of the enclosing fork's child: use it in a fork's parent: steps (the child is alive there)",
      'cases/x/steps.yaml:3:139: steps[0].expect.special[3].perms[0]: invalid perms "rwxq"; expected 4 characters [r-][w-][x-][ps], e.g. rw-p',
    ]);
  });
});

describe('memory_merge', () => {
  it('reads enable and errno, and implies KSM', () => {
    const { c, errors } = parse('  - memory_merge: { enable: true }\n  - memory_merge: { enable: false, errno: EINVAL }\n');
    expect(errors).toEqual([]);
    expect(c?.steps).toMatchObject([
      { kind: 'memory_merge', enable: true, outcome: { errno: null } },
      { kind: 'memory_merge', enable: false, outcome: { errno: 'EINVAL' } },
    ]);
    expect(c?.requires.kconfig).toEqual(['KSM']);
  });
  it('says what is missing or wrong, and what is allowed', () => {
    expect(errorsOf('  - memory_merge: {}\n')).toEqual(['cases/x/steps.yaml:3:19: steps[0].memory_merge: missing required key "enable"']);
    expect(errorsOf('  - memory_merge: { enable: 1 }\n')).toEqual(['cases/x/steps.yaml:3:29: steps[0].memory_merge.enable: expected true or false, got integer 1']);
    expect(errorsOf('  - memory_merge: { enable: true, on: true }\n')).toEqual(['cases/x/steps.yaml:3:35: steps[0].memory_merge.on: unknown key "on"; allowed: enable, errno']);
  });
});

describe('name outside the window', () => {
  it('reads sub_option, an address (a word or hex) and at beyond the window', () => {
    const s = steps(
      [
        '  - name: { at: 2, pages: 1, sub_option: "0xffffffffffffffff", name: x, errno: EINVAL }',
        '  - name: { address: kernel, name: x, errno: ENOMEM }',
        '  - name: { address: "0x1000", len: 0, name: x }',
        '  - name: { at: -2, pages: 36, name: x, errno: ENOMEM }',
        '',
      ].join('\n'),
    );
    expect(s).toMatchObject([
      { kind: 'name', subOption: 2n ** 64n - 1n },
      { kind: 'name', address: 0xffffffff81000000n, len: 4096 },
      { kind: 'name', address: 0x1000n, len: 0 },
      { kind: 'name', start: -2 * 4096, len: 36 * 4096 },
    ]);
  });
  it('says what is wrong: a page too far, an address in the reservation, window keys beside address', () => {
    expect(errorsOf('  - name: { at: -3, pages: 1, name: x }\n')).toEqual([
      'cases/x/steps.yaml:3:17: steps[0].name.at: expected an integer from -2 to 33 (a page of the 32-page window, or up to 2 beyond either end), got integer -3',
    ]);
    expect(errorsOf('  - name: { address: "0x200000021000", name: x }\n')).toEqual([
      "cases/x/steps.yaml:3:22: steps[0].name.address: address 0x200000021000 is in the window's reservation (0x200000000000..0x200000022000); use at for window pages",
    ]);
    expect(errorsOf('  - name: { address: zero, at: 2, name: x }\n')).toEqual([
      'cases/x/steps.yaml:3:28: steps[0].name.at: at is a window key; with address give len (bytes, default 4096), name, sub_option, pointer, fail_nth, errno',
    ]);
    expect(errorsOf('  - name: { address: high, name: x }\n')).toEqual([
      'cases/x/steps.yaml:3:22: steps[0].name.address: expected one of zero, task_size, noncanonical, direct_map, kernel, top or a "0x…" address, got string "high"',
    ]);
  });
});

describe('sync', () => {
  const fork = (child: string[], parent: string[]): string =>
    ['  - fork:', '      child:', ...child.map((s) => `        - ${s}`), '      parent:', ...parent.map((s) => `        - ${s}`), ''].join('\n');

  it('carries its label and the side it is written in, in nested blocks too', () => {
    const s = steps(
      ['  - fork:', '      child:', '        - fork:', '            child: [{ sync: { label: in } }]', '            parent: [{ sync: { label: in } }]', '        - sync: { label: out-1 }', '      parent:', '        - sync: { label: out-1 }', ''].join('\n'),
    );
    const f = s[0]?.kind === 'fork' ? s[0] : null;
    const inner = f?.child[0]?.kind === 'fork' ? f.child[0] : null;
    expect([f?.child[1], f?.parent[0], inner?.child[0], inner?.parent[0]]).toMatchObject([
      { kind: 'sync', label: 'out-1', side: 'child' },
      { kind: 'sync', label: 'out-1', side: 'parent' },
      { kind: 'sync', label: 'in', side: 'child' },
      { kind: 'sync', label: 'in', side: 'parent' },
    ]);
  });

  it('is only allowed directly in a fork branch', () => {
    expect(errorsOf('  - sync: { label: x }\n')).toEqual([
      "cases/x/steps.yaml:3:5: steps[0].sync: sync orders a fork's child and parent; it is only allowed directly in a fork's child: or parent: list",
    ]);
  });

  it('pairs the same labels in the same order, and names both lists where they part', () => {
    expect(errorsOf(fork(['sync: { label: x }', 'sync: { label: y }'], ['sync: { label: y }', 'sync: { label: x }']))).toEqual([
      'cases/x/steps.yaml:5:26: steps[0].fork.child[0].sync.label: sync "x" of the child pairs with sync "y" of the parent; both lists need the same labels in the same order (child syncs: x, y; parent syncs: y, x)',
    ]);
    expect(errorsOf(fork(['sync: { label: x }', 'sync: { label: y }'], ['sync: { label: x }']))).toEqual([
      'cases/x/steps.yaml:6:26: steps[0].fork.child[1].sync.label: sync "y" of the child has no partner in parent: (child syncs: x, y; parent syncs: x)',
    ]);
    expect(errorsOf(fork(['expect: { vmas: 0 }'], ['sync: { label: x }']))).toEqual([
      'cases/x/steps.yaml:7:26: steps[0].fork.parent[0].sync.label: sync "x" of the parent has no partner in child: (child syncs: none; parent syncs: x)',
    ]);
    // A parent: list left out has no syncs.
    expect(errorsOf(['  - fork:', '      child:', '        - sync: { label: x }', ''].join('\n'))).toEqual([
      'cases/x/steps.yaml:5:26: steps[0].fork.child[0].sync.label: sync "x" of the child has no partner in parent: (child syncs: x; parent syncs: none)',
    ]);
  });

  it('takes a label once per fork block, and no when', () => {
    expect(errorsOf(fork(['sync: { label: x }', 'sync: { label: x }'], ['sync: { label: x }']))).toEqual([
      'cases/x/steps.yaml:6:26: steps[0].fork.child[1].sync.label: sync label "x" is already used at steps[0].fork.child[0] (line 5); a label appears once per fork block',
    ]);
    expect(errorsOf(fork(['sync: { label: x }\n          when: { kernel: ">=6.1" }'], ['sync: { label: x }']))).toEqual([
      'cases/x/steps.yaml:6:11: steps[0].fork.child[0].when: sync cannot have a when; guard the steps around it',
    ]);
  });

  it('says what a label and a sync look like', () => {
    expect(errorsOf(fork(['sync: { label: X y }', 'sync: {}', 'sync: { label: a, at: 1 }'], ['sync: x']))).toEqual([
      'cases/x/steps.yaml:5:26: steps[0].fork.child[0].sync.label: invalid sync label "X y"; labels match [a-z0-9][a-z0-9_-]*',
      'cases/x/steps.yaml:6:17: steps[0].fork.child[1].sync: missing required key "label"',
      'cases/x/steps.yaml:7:29: steps[0].fork.child[2].sync.at: unknown key "at"; allowed: label',
      'cases/x/steps.yaml:9:17: steps[0].fork.parent[0].sync: expected a mapping { label }, got string "x"',
    ]);
  });
});
