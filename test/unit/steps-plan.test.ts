// The plan text of the added steps (docs/protocol.md, "Steps ops"), as the probe parses it.
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../runner/cases/load.js';
import { backingToken } from '../../runner/cases/steps/plan.js';
import { name, sysctlKey } from '../../runner/plan/args.js';
import { namePointer, sysctlValue } from '../../runner/plan/case-args.js';
import { compileCase } from '../../runner/plan/compile.js';
import { serializePlan } from '../../runner/plan/plan.js';

function plan(steps: string): string[] {
  const r = parseCase(`title: t\nsteps:\n${steps}`, 'cases/x/p.yaml', 'x/p');
  if (!r.case) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return serializePlan(compileCase(r.case, 0).plan).trimEnd().split('\n').slice(2);
}

describe('steps ops in the plan', () => {
  it('writes every added op with its arguments', () => {
    expect(
      plan(
        [
          '  - map: { id: f, at: 2, pages: 2, backing: tmpfs, shared: true, unlink: after }',
          '  - map: { at: 5, pages: 1, backing: memfd, noreserve: true }',
          '  - map: { id: z, at: 7, pages: 1, backing: zero, prot: r }',
          '  - mremap: { region: f, to: 10, size: 3 }',
          '  - mremap: { region: f, size: 1 }',
          '  - madvise: { region: f, advice: wipeonfork }',
          '  - name: { region: f, pointer: unmapped, errno: EFAULT }',
          '  - name: { region: f, pointer: prot-none, name: ab, errno: EFAULT }',
          '  - name: { region: f, len: 18446744073709547520, pointer: runs-off, name: "", errno: EFAULT }',
          '  - brk: { grow: 2 }',
          '  - brk: { shrink: 1 }',
          '  - name: { target: heap, name: h }',
          '  - name: { target: stack-bottom-page, name: null }',
          '  - sysctl: { key: vm.max_map_count, value: { current_maps: -1 } }',
          '  - sysctl: { key: vm.max_map_count, value: 18446744073709551615 }',
          '  - fork:',
          '      child: []',
          '      parent:',
          '        - process_madvise: { region: f, advice: cold, ret: 4096 }',
          '        - expect: { special: [ { target: child, vmas: 1 } ] }',
          '  - expect: { vmas: 1, special: [ { target: heap, vmas: 1 }, { target: vdso, vmas: 1 } ] }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      '0 mapfd 2 2 rw- shared - tmpfs-unlink-after:f',
      '1 mapfd 5 1 rw- private noreserve memfd:p5',
      '2 mapfd 7 1 r-- private - zero',
      '3 mremap 2 2 3 10 3',
      '4 mremap 10 3 1 - 0',
      '5 madvise 10 1 18',
      '6 name 40960 4096 unmapped 0 0',
      '7 name 40960 4096 prot-none:hex:6162 0 0',
      '8 name 40960 18446744073709547520 runs-off:hex: 0 0',
      '9 brk 2',
      '10 brk -1',
      '11 name-target heap hex:68',
      '12 name-target stack-bottom-page null',
      '13 sysctl vm/max_map_count maps-1',
      '14 sysctl vm/max_map_count 18446744073709551615',
      '15 fork',
      '16 parent',
      '17 pmadvise 10 1 20',
      '18 snapshot',
      '19 special child',
      '20 wait',
      '21 snapshot',
      '22 special heap',
      '23 special vdso',
    ]);
  });

  it('writes mremap flags: derived from to and dontunmap, or raw; the source is any page range', () => {
    expect(
      plan(
        [
          '  - map: { id: a, at: 2, pages: 3 }',
          '  - mremap: { region: a, page: 1, pages: 1, to: 10, dontunmap: true, id: d }',
          '  - mremap: { region: a, page: 2, to: 20, size: 2, id: g }',
          '  - mremap: { at: 20, pages: 1, to: 10, flags: [fixed, dontunmap], errno: EINVAL }',
          '  - mremap: { region: d, to: 12, flags: 8, errno: EINVAL }',
          '  - mremap: { region: d, size: 2 }',
          '',
        ].join('\n'),
      ),
    ).toEqual(['0 map 2 3 rw- private -', '1 mremap 3 1 1 10 7', '2 mremap 4 1 2 20 3', '3 mremap 20 1 1 10 6', '4 mremap 10 1 1 12 8', '5 mremap 10 1 2 - 0']);
  });

  it('writes mlock, mlock onfault, munlock and mseal as one lock op naming the call', () => {
    expect(
      plan(
        [
          '  - map: { id: a, at: 2, pages: 4 }',
          '  - mlock: { region: a, page: 1, pages: 2 }',
          '  - mlock: { at: 2, pages: 1, onfault: true }',
          '  - munlock: { region: a }',
          '  - mseal: { region: a, page: 3, errno: ENOSYS }',
          '',
        ].join('\n'),
      ),
    ).toEqual(['0 map 2 4 rw- private -', '1 lock 3 2 mlock', '2 lock 2 1 onfault', '3 lock 2 4 munlock', '4 lock 5 1 mseal']);
  });

  it('takes onfault on mlock only', () => {
    const r = parseCase('title: t\nsteps:\n  - map: { id: a, at: 2, pages: 1 }\n  - munlock: { region: a, onfault: true }\n', 'f.yaml', 'f');
    expect(r.case).toBeNull();
    expect(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.path}: ${d.message}`)).toEqual([
      '4:27: steps[1].munlock.onfault: unknown key "onfault"; allowed: region, at, page, pages, errno',
    ]);
  });

  it('writes the mmap flags of map and mapfd as a comma list, in their fixed order', () => {
    expect(
      plan(
        [
          '  - map: { at: 2, pages: 1, fixed_noreplace: true }',
          '  - map: { at: 3, pages: 2, droppable: true, populate: true }',
          '  - map: { at: 6, pages: 1, droppable: true, fixed_noreplace: true, noreserve: true, growsdown: true, errno: EINVAL }',
          '  - map: { at: 8, pages: 1, backing: zero, droppable: true, errno: EINVAL }',
          '  - map: { at: 9, pages: 1, shared: true, fixed_noreplace: true, errno: EEXIST }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      '0 map 2 1 rw- private fixed_noreplace',
      '1 map 3 2 rw- private populate,droppable',
      '2 map 6 1 rw- private noreserve,growsdown,fixed_noreplace,droppable',
      '3 mapfd 8 1 rw- private droppable zero',
      '4 map 9 1 rw- shared fixed_noreplace',
    ]);
  });

  it('rejects droppable with shared: MAP_DROPPABLE is a mapping type in place of MAP_PRIVATE and MAP_SHARED', () => {
    const r = parseCase('title: t\nsteps:\n  - map: { at: 2, pages: 1, shared: true, droppable: true }\n', 'f.yaml', 'f');
    expect(r.case).toBeNull();
    expect(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.path}: ${d.message}`)).toEqual([
      '3:37: steps[0].map.shared: droppable is the mapping type MAP_DROPPABLE, in place of MAP_PRIVATE and MAP_SHARED; leave shared false',
    ]);
  });

  it('keeps the origin of each special op: the expect step, and the entry it is judged against', () => {
    const r = parseCase('title: t\nsteps:\n  - expect: { special: [ { target: stack, vmas: 1 }, { target: vvar, vmas: 1 } ] }\n', 'f.yaml', 'f');
    if (!r.case) throw new Error('invalid');
    const c = compileCase(r.case, 0);
    expect(c.plan.ops).toEqual([
      { op: 'snapshot', step: 0 },
      { op: 'special', step: 1, target: 'stack' },
      { op: 'special', step: 2, target: 'vvar' },
    ]);
    expect(c.steps.map(({ origin, check }) => `${origin.path} ${origin.step.kind} ${check.kind} ${'path' in check ? check.path : ''}`)).toEqual([
      'steps[0] expect snapshot ',
      'steps[0] expect special steps[0].expect.special[0]',
      'steps[0] expect special steps[0].expect.special[1]',
    ]);
  });

  it('spells tokens as docs/protocol.md says', () => {
    expect(backingToken({ kind: 'tmpfs', unlink: null }, 'a')).toBe('tmpfs:a');
    expect(backingToken({ kind: 'tmpfs', unlink: 'before' }, 'p3')).toBe('tmpfs-unlink-before:p3');
    expect(namePointer.text({ name: new Uint8Array([0x80, 0xff]), pointer: 'runs-off' })).toBe('runs-off:hex:80ff');
    expect(namePointer.text({ name: null, pointer: 'unmapped' })).toBe('unmapped');
    expect(name.text(null)).toBe('null');
    expect(name.text(new Uint8Array())).toBe('hex:');
    expect(sysctlKey.text('vm.max_map_count')).toBe('vm/max_map_count');
    expect(sysctlValue.text({ kind: 'current_maps', delta: 0 })).toBe('maps+0');
    expect(sysctlValue.text({ kind: 'number', value: -5n })).toBe('-5');
  });
});
