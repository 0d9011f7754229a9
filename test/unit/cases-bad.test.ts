// Every malformed case in test/fixtures/cases-bad/ gives exactly these diagnostics
// (file:line:col: key.path: message), the caret excerpt aside.
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXPECT_KEYS } from '../../runner/cases/expect.js';
import { CaseError, formatDiagnostic, loadCases } from '../../runner/cases/load.js';
import { STEP_KINDS } from '../../runner/cases/steps.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/cases-bad');
const rel = path.relative(process.cwd(), dir);

const EXPECTED: Record<string, string[]> = {
  'unknown-key.yaml': [
    'unknown-key.yaml:3:10: steps[0].map: missing required key "pages"',
    'unknown-key.yaml:3:26: steps[0].map.pgs: unknown key "pgs"; allowed: id, at, pages, prot, shared, noreserve, growsdown, populate, fixed_noreplace, droppable, backing, unlink, errno',
  ],
  'wrong-type.yaml': ['wrong-type.yaml:3:33: steps[0].map.pages: expected an integer >= 1, got string "3"'],
  'bad-errno.yaml': ['bad-errno.yaml:4:45: steps[1].name.errno: unknown errno name "EINVALID"; did you mean EINVAL?'],
  'undefined-region.yaml': ['undefined-region.yaml:4:22: steps[1].unmap.region: region "b" is not defined by an earlier map step; defined: a'],
  'outside-window.yaml': ['outside-window.yaml:4:26: steps[0].map.pages: pages 4 from page 6 runs past the window (8 pages)'],
  'duplicate-key.yaml': ['duplicate-key.yaml:6:7: steps[0].map.at: duplicate key "at" (first at line 4, column 7)'],
  'missing-title.yaml': ['missing-title.yaml:1:1: missing required key "title"'],
  'bad-prot.yaml': ['bad-prot.yaml:4:34: steps[1].mprotect.prot: invalid value "rwz"; allowed: none, r, rw, rx, rwx, w, x, wx'],
  'two-keys-in-step.yaml': ['two-keys-in-step.yaml:4:5: steps[0]: a step has exactly one key; found 2: map, name'],
  'duplicate-region-id.yaml': [
    'duplicate-region-id.yaml:4:16: steps[1].map.id: duplicate region id "a"; already defined at steps[0].map.id (line 3)',
  ],
  'bad-layout.yaml': [
    'bad-layout.yaml:6:37: steps[1].expect.layout[0].perms: invalid perms "rw-"; expected 4 characters [r-][w-][x-][ps], e.g. rw-p',
    'bad-layout.yaml:7:30: steps[1].expect.layout[1].page: page 2 is outside region "a" (2 pages: 0..1)',
    'bad-layout.yaml:8:13: steps[1].expect.vmas: expected an integer >= 0, got string "many"',
  ],
  'syntax-error.yaml': [
    'syntax-error.yaml:4:3: YAML: Flow map in block collection must be sufficiently indented and end with a } (BAD_INDENT)',
  ],
  'branch-local-region.yaml': [
    'branch-local-region.yaml:7:28: steps[0].fork.parent[0].unmap.region: region "c" is not visible here (defined at steps[0].fork.child[0].map.id (line 5), in a fork branch that does not enclose this step)',
  ],
  'unknown-step.yaml': [
    `unknown-step.yaml:3:5: steps[0].mapp: unknown step "mapp"; allowed: ${STEP_KINDS.join(', ')}`,
    `unknown-step.yaml:4:13: steps[1].expect: expect needs at least one of: ${EXPECT_KEYS.join(', ')}`,
  ],
  'bad-name-value.yaml': [
    'bad-name-value.yaml:4:30: steps[1].name.name: expected a string, null, { hex: "…" } or { repeat: "…", count: n }, got integer 5; quote it to use it as a name',
    'bad-name-value.yaml:5:37: steps[2].name.name.hex: invalid hex "8"; expected pairs of hex digits, e.g. "80ff"',
    'bad-name-value.yaml:6:24: steps[3].name.name: missing value; expected a string, null, { hex: "…" } or { repeat: "…", count: n } (write null to clear the name, "" for the empty name)',
    'bad-name-value.yaml:7:11: steps[4].name: missing required key "pages" or "len"',
  ],
  'bad-requires.yaml': [
    'bad-requires.yaml:2:23: requires.kconfig[0]: write "ANON_VMA_NAME" without the CONFIG_ prefix',
    'bad-requires.yaml:2:54: requires.kernel: invalid version range "5.17+": for 5.17 and later write ">=5.17"; expected bounds separated by spaces, each an optional >=, >, <=, < or = (none means =) and a version of one to three numbers, e.g. ">=5.17" or ">=6.2 <6.13"',
    'bad-requires.yaml:3:9: window: expected an integer from 4 to 4096 (pages), got integer 2',
    'bad-requires.yaml:4:10: timeout: expected seconds, a number from 1 to 3600 (default 10), got integer 0',
    'bad-requires.yaml:6:39: steps[0].touch.access: invalid value "exec"; allowed: read, write',
  ],
  'not-a-mapping.yaml': [
    'not-a-mapping.yaml:1:1: expected a mapping with keys title, spec, requires, window, timeout, steps, probe, got a list',
  ],
  'missing-probe-file.yaml': [
    'missing-probe-file.yaml:2:8: probe: probe "probes/missing.c" does not exist (looked for test/fixtures/cases-bad/probes/missing.c)',
  ],
  'bad-when-range.yaml': [
    'bad-when-range.yaml:4:21: steps[0].when.kernel: invalid version range "6.13+": for 6.13 and later write ">=6.13"; expected bounds separated by spaces, each an optional >=, >, <=, < or = (none means =) and a version of one to three numbers, e.g. ">=5.17" or ">=6.2 <6.13"',
    'bad-when-range.yaml:6:21: steps[1].when.kernel: version range ">=6.13 <6.2" matches no kernel (no kernel is >=6.13 and <6.2)',
    'bad-when-range.yaml:6:46: steps[1].when.kconfig[0]: write "ANON_VMA_NAME" without the CONFIG_ prefix',
    'bad-when-range.yaml:7:5: steps[2].when: when guards a step; put the step beside it in the same list item, e.g. - expect: { vmas: 1 }',
    'bad-when-range.yaml:9:13: steps[3].when.kernels: unknown key "kernels"; allowed: kernel, kconfig',
  ],
  // The same range message in requires and in when (runner/kernel/version-range.ts; known-splats.yaml: version-range.test.ts).
  'empty-kernel-range.yaml': [
    'empty-kernel-range.yaml:2:21: requires.kernel: version range ">=6.13 <6.12" matches no kernel (no kernel is >=6.13 and <6.12)',
    'empty-kernel-range.yaml:6:21: steps[1].when.kernel: version range ">=6.13 <6.12" matches no kernel (no kernel is >=6.13 and <6.12)',
  ],
  'bad-kernel-source.yaml': [
    'bad-kernel-source.yaml:2:25: probe.kernel_source: invalid probe path "tools/../../etc/x.c"; give a path relative to the top of the kernel source tree with / separators and no ..',
    'bad-kernel-source.yaml:2:46: probe.file: unknown key "file"; allowed: kernel_source',
  ],
  'probe-with-steps.yaml': [
    'probe-with-steps.yaml:2:1: window: window is only used with steps; a probe maps its own memory',
    'probe-with-steps.yaml:3:8: probe: invalid probe path "probe.h"; expected a C source file ending in .c',
    'probe-with-steps.yaml:4:1: steps: give steps or probe, not both (a probe case runs its C program instead of steps)',
  ],
  // Bad input found before any boot (issue 13): an alias bomb, guest limits, bytes that are not UTF-8, a timeout.
  'alias-bomb.yaml': [
    'alias-bomb.yaml:12:26: steps[9].fork.child[0]: aliases expand this case to more than 1048576 YAML nodes (this alias alone is 480595); write the steps out or nest fewer aliases',
  ],
  'alias-cycle.yaml': ['alias-cycle.yaml:3:52: steps[0].fork.child[1]: alias *s refers to a node that contains it; a case cannot repeat itself'],
  'too-many-steps.yaml': [
    `too-many-steps.yaml:5:30: steps[16]${'.fork.child[0]'.repeat(14)}.fork.child[1]: more than 65536 steps in this case (aliases expanded); the guest takes at most 65536 ops (OPS_MAX, c-helpers/vmaprobe.c) per case`,
  ],
  'too-many-ops.yaml': [
    `too-many-ops.yaml:5:10: steps[15]${'.fork.child[0]'.repeat(10)}.fork.child[1].fork.child[0].fork.child[0].fork.parent: the case compiles to 131024 plan ops (a fork is 3, an expect 1 and 1 per observation); op 65537 is at this step; the guest takes at most 65536 ops (OPS_MAX, c-helpers/vmaprobe.c) per case`,
  ],
  'not-utf8.yaml': ['not-utf8.yaml:4:34: invalid UTF-8 at byte 120 (0xe9); case files are UTF-8 text (raw name bytes are written { hex: "…" })'],
  'tiny-timeout.yaml': ['tiny-timeout.yaml:2:10: timeout: expected seconds, a number from 1 to 3600 (default 10), got number 0.000001'],
};

async function diagnosticsOf(file: string): Promise<CaseError> {
  const err = await loadCases(dir, [path.join(dir, file)]).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof CaseError)) throw new Error(`${file}: expected a CaseError, got ${String(err)}`);
  return err;
}

describe('malformed cases', () => {
  it('every fixture has its expectation', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const err = await diagnosticsOf(file);
      expect(err.code).toBe('E_CASE_INVALID');
      expect(err.diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }))).toEqual(expected.map((e) => `${rel}/${e}`));
    });
  }

  it('shows the source line and a caret under the column', async () => {
    const err = await diagnosticsOf('bad-errno.yaml');
    expect(err.message).toBe(
      [
        `${rel}/bad-errno.yaml:4:45: steps[1].name.errno: unknown errno name "EINVALID"; did you mean EINVAL?`,
        '      - name: { region: a, name: "bad[", errno: EINVALID }',
        '                                                ^',
      ].join('\n'),
    );
  });

  it('collects the problems of all files into one error, ordered by file and position', async () => {
    const err = await loadCases(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CaseError);
    const all = (err as CaseError).diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }));
    const want = Object.keys(EXPECTED)
      .sort()
      .flatMap((f) => (EXPECTED[f] ?? []).map((e) => `${rel}/${e}`));
    expect(all).toEqual(want);
  });
});
