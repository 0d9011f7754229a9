// The observation keys of `expect`: what they validate to, the plan ops they compile to, and
// the diagnostics of mistakes (file:line:col, key path, bad value, allowed values).
import { describe, expect, it } from 'vitest';
import { compareDiagnostics } from '../../runner/cases/diagnostics.js';
import { formatDiagnostic, parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { compileCase } from '../../runner/plan/compile.js';
import { serializePlan } from '../../runner/plan/plan.js';
import { evalOperand, runCheck } from '../../runner/verdict/compare.js';
import { MAPS_LINE_PLACEHOLDERS, ROLLUP_PLACEHOLDERS } from '../../runner/verdict/placeholders.js';
import { parseOperand } from '../../runner/cases/expect.js';
import { SMAPS_FIELDS } from '../../runner/plan/observe-ops.js';

const head = `title: t\nwindow: 16\nsteps:\n  - map: { id: a, at: 2, pages: 4 }\n  - map: { id: s, at: 8, pages: 2, shared: true }\n  - expect:\n`;

function ok(expectBody: string): Case {
  const r = parseCase(head + expectBody, 'cases/x/t.yaml', 'x/t');
  if (!r.case) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, { excerpt: false })).join('\n'));
  return r.case;
}

function errors(expectBody: string): string[] {
  const r = parseCase(head + expectBody, 'cases/x/t.yaml', 'x/t');
  expect(r.case).toBeNull();
  return [...r.diagnostics].sort(compareDiagnostics).map((d) => formatDiagnostic(d, { excerpt: false }));
}

describe('observation expectations: the model', () => {
  it('reads every key into expect.observe', () => {
    const c = ok(
      [
        '      contains: [ { region: a, perms: rw-p } ]',
        '      maps_line: { region: a, page: 1, line: "x" }',
        '      smaps: [ { region: a, pages: 4, Rss: 16, Pss: "Rss/2", Private_Dirty: { min: 4, max: Size }, VmFlags: [rd, wr] } ]',
        '      smaps_fields: [Size, Rss]',
        '      rollup: { header: "{first_start}-{stack_end} [rollup]", fields: [Rss], Pss: { ne: 0 } }',
        '      query: [ { region: a, byte: 12, flags: [readable, covering_or_next, 0x40], name_buf: 86, start: 2, end: 6, name_size: { min: 1 } }, { at: 0, file: smaps, errno: ENOTTY } ]',
        '      map_files: [ { region: s, spell: upper, present: true, open: ok }, { region: a, errno: ENOENT, open: ENOENT } ]',
        '      pagemap: [ { region: a, page: 1, present: true }, { at: 3, exclusive: false } ]',
        '',
      ].join('\n'),
    );
    const step = c.steps[2];
    if (step?.kind !== 'expect') throw new Error('not an expect step');
    const o = step.expect.observe;
    expect(o?.contains).toEqual({ vmas: [{ at: 2, pages: 4, perms: 'rw-p', index: 0, pos: expect.any(Object) }], spans: [] });
    expect(o?.mapsLines?.[0]).toMatchObject({ vma: { at: 3, pages: null }, line: 'x', key: 'maps_line' });
    expect(o?.smaps?.[0]).toMatchObject({ vma: { at: 2, pages: 4 } });
    expect(o?.smaps?.[0]?.fields.map(([n]) => n)).toEqual(['Rss', 'Pss', 'Private_Dirty']);
    expect(o?.smaps?.[0]?.fields[1]?.[1]).toEqual({ eq: { text: 'Rss/2', terms: [{ sign: 1, field: 'Rss', value: 0, mul: 1, div: 2 }] } });
    expect(o?.smaps?.[0]?.vmFlags).toEqual({ exact: ['rd', 'wr'] });
    expect(o?.smapsFields?.names).toEqual(['Size', 'Rss']);
    expect(o?.rollup).toMatchObject({ header: '{first_start}-{stack_end} [rollup]', order: ['Rss'] });
    expect(o?.query?.[0]).toMatchObject({ file: 'maps', at: 2, offset: 12, flags: 0x51, flagWords: ['readable', 'covering_or_next', '0x40'], nameBuf: 86, nameAddr: 'buf', size: 104, tail: false, errno: null, out: { start: 2, end: 6 } });
    expect(o?.query?.[1]).toMatchObject({ file: 'smaps', at: 0, errno: 'ENOTTY', nameBuf: 4096 });
    expect(o?.mapFiles).toMatchObject([
      { at: 8, spelling: 'upper', present: true, open: 'ok' },
      { at: 2, spelling: 'exact', errno: 'ENOENT', open: 'ENOENT' },
    ]);
    expect(o?.pagemap).toMatchObject([
      { range: { at: 3, pages: 3 }, bits: [['present', true]] },
      { range: { at: 3, pages: 1 }, bits: [['exclusive', false]] },
    ]);

    // snapshot, then smaps and rollup once, then one op per query, map_files and pagemap item
    const plan = serializePlan(compileCase(c, 0).plan).split('\n').slice(4, 13);
    expect(plan).toEqual([
      '2 snapshot',
      '3 smaps -',
      '4 rollup',
      '5 query maps 8204 81 86 buf 104 0 0',
      '6 query smaps 0 0 4096 buf 104 0 0',
      '7 mapfile 32768 upper',
      '8 mapfile 8192 exact',
      '9 pagemap 3 3',
      '10 pagemap 3 1',
    ]);
  });

  it('asks the probe for the smaps lines the items read: their fields, the fields their expressions name, VmFlags', () => {
    const smapsOp = (body: string, fullViews = false) => serializePlan(compileCase(ok(body), 0, 4096, null, fullViews).plan).split('\n').find((l) => / smaps /.test(l));
    expect(smapsOp('      smaps: [ { region: a, Pss: Rss/2, VmFlags: [rd, wr] }, { region: a, Swap: 0 } ]\n')).toBe('3 smaps Rss,Pss,Swap,VmFlags');
    // An item with the header name alone still reads a block: one line after each header.
    expect(smapsOp('      smaps: [ { region: a, name: "" } ]\n')).toBe('3 smaps Size');
    // Every line for a recording (--full-views) and for a check of the field order.
    expect(smapsOp('      smaps: [ { region: a, Swap: 0 } ]\n', true)).toBe('3 smaps -');
    expect(smapsOp('      smaps_fields: [Size, Rss]\n')).toBe('3 smaps -');
  });

  it('needs no smaps or rollup op without those keys', () => {
    const c = ok('      pagemap: [ { region: a, present: false } ]\n');
    expect(compileCase(c, 0).plan.ops.map((o) => o.op)).toEqual(['map', 'map', 'snapshot', 'pagemap']);
  });
});

describe('observation expectations: diagnostics', () => {
  it('names the key path, the bad value and the allowed ones', () => {
    expect(
      errors(
        [
          '      smaps: [ { region: a, Rs: 16 }, { region: b, Rss: 1 }, { region: a, Pss: "Rss/0", VmFlags: { has: [zz] } } ]',
          '      query: [ { region: a, flags: [bogus], file: status }, { region: a, errno: ENOTTY, name: "x" } ]',
          '      map_files: [ { region: s, spell: UPPER }, { region: s, present: true, errno: ENOENT }, { region: s } ]',
          '      pagemap: [ { region: a, dirty: true } ]',
          '      rollup: { header: "{start}" }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'cases/x/t.yaml:7:29: steps[2].expect.smaps[0].Rs: unknown key "Rs"; allowed: region, at, page, pages, target, name, ' + SMAPS_FIELDS.join(', ') + ', VmFlags',
      'cases/x/t.yaml:7:49: steps[2].expect.smaps[1].region: region "b" is not defined by an earlier map step; defined: a, s',
      'cases/x/t.yaml:7:80: steps[2].expect.smaps[2].Pss: invalid expression "Rss/0": / needs a positive integer after it',
      'cases/x/t.yaml:7:106: steps[2].expect.smaps[2].VmFlags.has[0]: unknown VmFlags code "zz"; allowed: rd, wr, ex, sh, mr, mw, me, ms, gd, pf, lo, io, sr, rr, dc, de, lf, ac, nr, ht, sf, ar, wf, dd, bt, sd, mm, hg, nh, mg, um, uw, mt, ui, ss, dp, sl, ??',
      'cases/x/t.yaml:8:37: steps[2].expect.query[0].flags[0]: invalid query flag string "bogus"; allowed: readable, writable, executable, shared, covering_or_next, file_backed, or an integer such as 0x40 (raw bits)',
      'cases/x/t.yaml:8:51: steps[2].expect.query[0].file: invalid value "status"; allowed: maps, smaps, smaps_rollup',
      'cases/x/t.yaml:8:89: steps[2].expect.query[1].name: an item with errno expects the ioctl to fail: it has no result fields to compare',
      'cases/x/t.yaml:9:40: steps[2].expect.map_files[0].spell: invalid value "UPPER"; allowed: exact, upper, leading_zero, 0x, digits17, space, plus',
      'cases/x/t.yaml:9:77: steps[2].expect.map_files[1].errno: give present or errno, not both (present: false is errno: ENOENT)',
      'cases/x/t.yaml:9:94: steps[2].expect.map_files[2]: nothing to compare; give present, errno, link or open',
      'cases/x/t.yaml:10:31: steps[2].expect.pagemap[0].dirty: unknown key "dirty"; allowed: region, at, page, pages, target, below, present, swapped, file_shared, exclusive, soft_dirty',
      'cases/x/t.yaml:11:25: steps[2].expect.rollup.header: unknown placeholder {start}; allowed: {first_start}, {stack_end}, {last_end}',
    ]);
  });

  it('takes {dev}, {inode} and {pad} in a maps line and rejects any other placeholder, naming the allowed ones', () => {
    expect(errors('      maps_line: [ { region: a, line: "x {dev} {inode}{pad}[anon:a]" }, { region: a, line: "{inod}" } ]\n')).toEqual([
      'cases/x/t.yaml:7:92: steps[2].expect.maps_line[1].line: unknown placeholder {inod}; allowed: {dev}, {inode}, {pad}',
    ]);
    expect(errors('      maps_line: { region: a, line: "x {devv} 0 " }\n')).toEqual([
      `cases/x/t.yaml:7:37: steps[2].expect.maps_line.line: unknown placeholder {devv}; allowed: ${MAPS_LINE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
    ]);
    // {dev} is a VMA's: a rollup header speaks of no one VMA
    expect(errors('      rollup: { header: "{first_start}-{stack_end} ---p 00000000 {dev} 0" }\n')).toEqual([
      `cases/x/t.yaml:7:25: steps[2].expect.rollup.header: unknown placeholder {dev}; allowed: ${ROLLUP_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
    ]);
  });

  it('rejects an unknown field in an expression and VMAs out of order in contains', () => {
    expect(errors('      smaps: [ { region: a, Pss: "Rsss / 2" } ]\n      contains: [ { region: s }, { region: a } ]\n')).toEqual([
      'cases/x/t.yaml:7:34: steps[2].expect.smaps[0].Pss: invalid expression "Rsss / 2": unknown field "Rsss"; fields: ' + SMAPS_FIELDS.join(', '),
      'cases/x/t.yaml:8:34: steps[2].expect.contains[1]: page 2 overlaps or precedes the previous entry (which ends at page 10); list VMAs in address order',
    ]);
  });
});

describe('operands and checks', () => {
  const fields = { Rss: 16, Pss: 10, Shared_Dirty: 12, Private_Dirty: 4 } as Record<string, number>;
  const get = (n: string): number | undefined => fields[n];
  const op = (text: string) => {
    const r = parseOperand(text, [...Object.keys(fields), 'Swap']);
    if (!('operand' in r)) throw new Error(r.error);
    return r.operand;
  };

  it('evaluates sums, products and quotients of fields and integers', () => {
    expect(evalOperand(op('Private_Dirty + Shared_Dirty/2'), get)).toEqual({ value: 10 });
    expect(evalOperand(op('-4 + 2*Rss'), get)).toEqual({ value: 28 });
    expect(evalOperand(op('Rss * 3 / 4 - Pss'), get)).toEqual({ value: 2 });
    expect(evalOperand(op('Rss'), () => undefined)).toEqual({ missing: 'Rss' });
    expect(parseOperand('Rss +', ['Rss'])).toEqual({ error: 'expected a field name or a number at the end' });
    expect(parseOperand('Rss ^ 2', ['Rss'])).toEqual({ error: 'unexpected "^"; expected + or -' });
  });

  it('reports each bound that does not hold', () => {
    expect(runCheck({ min: op('4'), max: op('Pss') }, 10, get, 'kB')).toEqual({ violated: [], missing: [] });
    expect(runCheck({ gt: op('Pss'), ne: op('10'), eq: op('Rss/2') }, 10, get, 'kB')).toEqual({ violated: ['= Rss/2 = 8 kB', '!= 10 kB', '> Pss = 10 kB'], missing: [] });
    expect(runCheck({ eq: op('Swap') }, 0, get)).toEqual({ violated: [], missing: ['Swap'] });
  });
});

describe('expect.memory_merge', () => {
  it('compiles to mmerge-get after the snapshot, judged as a call that returns 1 or 0', () => {
    const c = ok('      memory_merge: true\n');
    const { plan, steps } = compileCase(c, 0);
    expect(serializePlan(plan).split('\n').slice(4, 6)).toEqual(['2 snapshot', '3 mmerge-get']);
    expect(steps[3]?.check).toEqual({ kind: 'outcome', path: 'steps[2].expect.memory_merge', pos: { file: 'cases/x/t.yaml', line: 7, col: 21 }, expect: { errno: null, ret: 1 }, landsAt: null, failNth: null });
    const off = compileCase(ok('      memory_merge: false\n'), 0).steps[3]?.check;
    expect(off).toMatchObject({ expect: { errno: null, ret: 0 } });
  });
  it('takes true or false', () => {
    expect(errors('      memory_merge: 1\n')).toEqual(['cases/x/t.yaml:7:21: steps[2].expect.memory_merge: expected true or false, got integer 1']);
  });
});
