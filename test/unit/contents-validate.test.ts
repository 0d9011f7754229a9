// Memory contents and holes in the case language: `touch.value`, `expect.data` and the
// `hole: true` / `reserve: true` entries of `layout` and `contains` — what they validate to, the
// plan they compile to, and the diagnostics of mistakes (file:line:col, key path, what is allowed).
import { describe, expect, it } from 'vitest';
import { compareDiagnostics } from '../../runner/cases/diagnostics.js';
import { formatDiagnostic, parseCase } from '../../runner/cases/load.js';
import type { Case } from '../../runner/cases/types.js';
import { TOUCH_DEFAULT } from '../../runner/cases/steps.js';
import { compileCase } from '../../runner/plan/compile.js';
import { serializePlan } from '../../runner/plan/plan.js';

const head = 'title: t\nwindow: 16\nsteps:\n  - map: { id: a, at: 2, pages: 3 }\n  - map: { id: b, at: 8, pages: 2 }\n';

function ok(body: string): Case {
  const r = parseCase(head + body, 'cases/x/t.yaml', 'x/t');
  if (!r.case) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, { excerpt: false })).join('\n'));
  return r.case;
}

function errors(body: string): string[] {
  const r = parseCase(head + body, 'cases/x/t.yaml', 'x/t');
  expect(r.case).toBeNull();
  return [...r.diagnostics].sort(compareDiagnostics).map((d) => formatDiagnostic(d, { excerpt: false }));
}

/** The plan lines after the header and the two maps. */
const planOf = (c: Case): string[] => serializePlan(compileCase(c, 0).plan).trimEnd().split('\n').slice(4);

describe('touch.value', () => {
  it('writes one byte for every page, one per page, or the default', () => {
    const c = ok('  - touch: { region: a, value: 7 }\n  - touch: { region: a, value: [1, 0, 255] }\n  - touch: { region: b }\n  - touch: { region: b, access: read }\n');
    expect(c.steps.slice(2).map((s) => (s.kind === 'touch' ? s.value : s.kind))).toEqual([[7], [1, 0, 255], null, null]);
    expect(planOf(c)).toEqual(['2 touch 2 3 w 7', '3 touch 2 3 w 1,0,255', `4 touch 8 2 w ${TOUCH_DEFAULT}`, `5 touch 8 2 r ${TOUCH_DEFAULT}`]);
  });

  it('rejects a value with access: read, a list of the wrong length and what is not a byte', () => {
    expect(
      errors(
        [
          '  - touch: { region: a, access: read, value: 1 }',
          '  - touch: { region: a, value: [1, 2] }',
          '  - touch: { at: 2, pages: 1, value: 256 }',
          '  - touch: { region: b, value: [1, x] }',
          '  - touch: { region: b, value: "7" }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'cases/x/t.yaml:6:39: steps[2].touch.value: value is the byte a write leaves; access: read writes nothing: drop value or access',
      'cases/x/t.yaml:7:32: steps[3].touch.value: 2 values for 3 pages; give one per page, or one value (not a list) for all',
      'cases/x/t.yaml:8:38: steps[4].touch.value: expected an integer from 0 to 255 (a byte), got integer 256',
      'cases/x/t.yaml:9:36: steps[5].touch.value[1]: expected an integer from 0 to 255 (a byte), got string "x"',
      'cases/x/t.yaml:10:32: steps[6].touch.value: expected a byte 0..255, or a list of them with one per page, got string "7"',
    ]);
  });
});

describe('expect.data', () => {
  it('reads a range into one value per page, from a region or window pages', () => {
    const c = ok('  - expect:\n      data:\n        - { region: a, page: 1, bytes: [0, fault] }\n        - { region: b, bytes: 9 }\n        - { at: 12, bytes: fault }\n');
    const step = c.steps[2];
    if (step?.kind !== 'expect') throw new Error('not an expect step');
    expect(step.expect.observe?.data).toMatchObject([
      { source: { kind: 'pages', range: { at: 3, pages: 2 }, region: { id: 'a', page: 1 } }, bytes: [0, 'fault'] },
      { source: { kind: 'pages', range: { at: 8, pages: 2 }, region: { id: 'b', page: 0 } }, bytes: [9, 9] },
      { source: { kind: 'pages', range: { at: 12, pages: 1 }, region: null }, bytes: ['fault'] },
    ]);
  });

  it('compiles to one peek op per item, after every other op of the step', () => {
    const c = ok('  - expect:\n      data: [ { region: a, bytes: 0 } ]\n      pagemap: [ { region: a, present: false } ]\n      smaps: [ { region: b, Rss: 0 } ]\n      contains: [ { region: a } ]\n');
    expect(planOf(c)).toEqual(['2 snapshot', '3 smaps Rss', '4 pagemap 2 3', '5 peek 2 3']);
    expect(compileCase(c, 0).steps[5]?.check).toMatchObject({ kind: 'data', path: 'steps[2].expect.data[0]', pos: { line: 7 } });
  });

  it('rejects a list of the wrong length, a word other than fault and a missing bytes', () => {
    expect(
      errors(
        [
          '  - expect:',
          '      data:',
          '        - { region: a, bytes: [1, 2] }',
          '        - { region: a, bytes: faults }',
          '        - { at: 2, bytes: [0, -1] }',
          '        - { region: b }',
          '        - { region: b, byte: 1 }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'cases/x/t.yaml:8:31: steps[2].expect.data[0].bytes: 2 values for 3 pages; give one per page, or one value (not a list) for all',
      'cases/x/t.yaml:9:31: steps[2].expect.data[1].bytes: expected a byte 0..255 or fault (the read faults), got string "faults"',
      'cases/x/t.yaml:10:31: steps[2].expect.data[2].bytes[1]: expected an integer from 0 to 255 (a byte), got integer -1',
      'cases/x/t.yaml:11:11: steps[2].expect.data[3]: missing required key "bytes"',
      'cases/x/t.yaml:12:11: steps[2].expect.data[4]: missing required key "bytes"',
      'cases/x/t.yaml:12:24: steps[2].expect.data[4].byte: unknown key "byte"; allowed: region, at, page, pages, bytes',
    ]);
  });
});

describe('holes and reserve ranges in layout and contains', () => {
  it('keeps them apart from the VMAs, each with its place in the list; they do not count in vmas', () => {
    const c = ok(
      [
        '  - unmap: { at: 5, pages: 1 }',
        '  - expect:',
        '      vmas: 2',
        '      layout: [ { region: a }, { at: 5, pages: 1, hole: true }, { at: 6, pages: 2, reserve: true }, { region: b } ]',
        '      contains: [ { at: 5, hole: true }, { region: b } ]',
        '',
      ].join('\n'),
    );
    const step = c.steps[3];
    if (step?.kind !== 'expect') throw new Error('not an expect step');
    expect(step.expect.layout).toMatchObject({
      vmas: [
        { at: 2, pages: 3, index: 0 },
        { at: 8, pages: 2, index: 3 },
      ],
      spans: [
        { at: 5, pages: 1, held: 'hole', index: 1 },
        { at: 6, pages: 2, held: 'reserve', index: 2 },
      ],
    });
    expect(step.expect.observe?.contains).toMatchObject({ vmas: [{ at: 8, index: 1 }], spans: [{ at: 5, pages: 1, held: 'hole', index: 0 }] });
    const checks = compileCase(c, 0).steps[3]?.check;
    expect(checks?.kind === 'snapshot' && checks.checks.map((k) => `${k.kind} ${k.path}`)).toEqual([
      'reserve steps[3].expect',
      'vmas steps[3].expect.vmas',
      'layout steps[3].expect.layout',
      'span steps[3].expect.layout[1]',
      'span steps[3].expect.layout[2]',
      'contains steps[3].expect.contains',
      'span steps[3].expect.contains[0]',
    ]);
  });

  it('rejects perms or name on them, both at once, false, and a count that counts them', () => {
    expect(
      errors(
        [
          '  - expect:',
          '      layout: [ { region: a, hole: true, perms: ---p }, { at: 5, pages: 1, reserve: true, name: "" }, { at: 6, pages: 1, hole: true, reserve: true }, { region: b, hole: false } ]',
          '  - expect:',
          '      vmas: 3',
          '      layout: [ { region: a }, { at: 5, pages: 3, hole: true }, { region: b } ]',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'cases/x/t.yaml:7:42: steps[2].expect.layout[0].perms: hole: true says no VMA is there: drop perms',
      'cases/x/t.yaml:7:91: steps[2].expect.layout[1].name: reserve: true says the window reserve is there, judged by its own perms and name: drop name',
      'cases/x/t.yaml:7:134: steps[2].expect.layout[2].reserve: give hole or reserve, not both: a hole has no VMA, the reserve is one',
      'cases/x/t.yaml:7:170: steps[2].expect.layout[3].hole: expected true (no VMA, the window reserve included, overlaps the range); leave the key out otherwise, got boolean false',
      'cases/x/t.yaml:9:13: steps[3].expect.vmas: vmas 3 disagrees with layout (2 VMA entries besides 1 hole or reserve entry)',
    ]);
  });
});
