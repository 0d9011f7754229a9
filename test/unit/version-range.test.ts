// Kernel version ranges (runner/kernel/version-range.ts), the one definition behind
// `requires.kernel`, `when.kernel` and known-splats.yaml's `kernel`: the grammar, the
// diagnostics, the empty-range check in all three places, matching real release strings,
// and the JSON Schema pattern.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CaseError, formatDiagnostic, loadCases } from '../../runner/cases/load.js';
import { parseKnownSplats } from '../../runner/health/allowlist.js';
import { emptyRangeReason, parseRange, RANGE_ALLOWED, RANGE_PATTERN, rangeMatches, releaseVersion, validRange } from '../../runner/kernel/version-range.js';
import { buildCaseSchema } from '../../runner/schema/case-schema.js';

const problem = (text: string): string => {
  const p = parseRange(text);
  if (p.ok) throw new Error(`${text}: parsed as ${p.range.text}`);
  return p.message;
};

describe('version range grammar', () => {
  it('takes bounds with and without a comparator, of one to three numbers, separated by any spaces', () => {
    for (const ok of ['>=5.17', '<6.13', '>6', '<=6.12.118', '=6.12', '6.12', ' >=6.2   <6.13 ', '>=6.2\t<6.13', '>=6.1 <=6.1.158 >6.0']) {
      expect(parseRange(ok).ok, ok).toBe(true);
      expect(RANGE_PATTERN.test(ok), ok).toBe(true);
    }
    expect(validRange('  >=6.2   <6.13 ').text).toBe('>=6.2 <6.13');
    expect(validRange('6.12').bounds).toEqual([{ op: '=', version: [6, 12], from: [6, 12, 0], until: [6, 13, 0] }]);
  });

  it('says what is wrong with a term and what a range may be', () => {
    const allowed = `; expected ${RANGE_ALLOWED}`;
    expect(problem('5.17+')).toBe(`invalid version range "5.17+": for 5.17 and later write ">=5.17"${allowed}`);
    expect(problem('>=6.13-rc1')).toBe(`invalid version range ">=6.13-rc1": a bound is numbers only; "-rc1" is not compared (6.13-rc1 meets ">=6.13")${allowed}`);
    expect(problem('>= 6.13')).toBe(`invalid version range ">= 6.13": ">=" needs its version right after it, without a space: ">=6.13"${allowed}`);
    expect(problem('=>6.2')).toBe(`invalid version range "=>6.2": unknown comparator "=>"; did you mean ">=6.2"?${allowed}`);
    expect(problem('~6.2')).toBe(`invalid version range "~6.2": unknown comparator "~"; allowed: >=, <=, >, <, =${allowed}`);
    expect(problem('>=6.2,<6.13')).toBe(`invalid version range ">=6.2,<6.13": bounds are separated by spaces, not commas${allowed}`);
    expect(problem('<6.2 || >=6.13')).toBe(`invalid version range "<6.2 || >=6.13": "||": a range is one interval (all bounds must hold); there is no "or"${allowed}`);
    expect(problem('>=v6.2')).toBe(`invalid version range ">=v6.2": write the version without "v": ">=6.2"${allowed}`);
    expect(problem('6.12.1.1')).toBe(`invalid version range "6.12.1.1": a version has at most three numbers (major.minor.patch)${allowed}`);
    expect(problem('>=5.x')).toBe(`invalid version range ">=5.x"${allowed}`);
    expect(problem('>=6.2 <6.x')).toBe(`invalid version range ">=6.2 <6.x": "<6.x" is not a bound${allowed}`);
    expect(problem('>=6.2 6.13+')).toBe(`invalid version range ">=6.2 6.13+": "6.13+": for 6.13 and later write ">=6.13"${allowed}`);
    expect(problem('  ')).toBe(`empty version range; expected ${RANGE_ALLOWED}`);
    for (const bad of ['5.17+', '>=6.13-rc1', '>= 6.13', '=>6.2', '>=6.2,<6.13', '>=5.x', '6.12.1.1', '']) expect(RANGE_PATTERN.test(bad), bad).toBe(false);
  });

  it('finds a range no release is in, each bound at its own precision', () => {
    const empty = (r: string): string | null => emptyRangeReason({ bounds: validBounds(r), text: r });
    expect(empty('>=6.13 <6.2')).toBe('no kernel is >=6.13 and <6.2');
    expect(empty('>6.2 <=6.2')).toBe('no kernel is >6.2 and <=6.2');
    expect(empty('=6.2 >=6.3')).toBe('no kernel is >=6.3 and <=6.2');
    expect(empty('>6.12 <=6.12.5')).toBe('no kernel is >6.12 and <=6.12.5');
    // Not empty: 6.12.5 and later 6.12 releases are <=6.12 and =6.12.
    expect(empty('>=6.12.5 <=6.12')).toBeNull();
    expect(empty('=6.12 >=6.12.3')).toBeNull();
    expect(empty('>=6.2 <=6.2')).toBeNull();
    expect(empty('>=5.17 <6.13')).toBeNull();
    expect(empty('<6.13')).toBeNull();
    expect(problem('<0')).toBe('version range "<0" matches no kernel (no kernel is <0)');
    expect(problem('>=6.13 <6.12')).toBe('version range ">=6.13 <6.12" matches no kernel (no kernel is >=6.13 and <6.12)');
  });
});

/** The bounds of a range, without its empty-range check. */
function validBounds(text: string): ReturnType<typeof validRange>['bounds'] {
  return text.split(' ').flatMap((t) => validRange(t).bounds);
}

describe('matching kernel releases', () => {
  it('reads the version of real release strings', () => {
    expect(releaseVersion('6.12.118')).toEqual([6, 12, 118]);
    expect(releaseVersion('6.1.158')).toEqual([6, 1, 158]);
    expect(releaseVersion('6.13.0-rc2')).toEqual([6, 13, 0]);
    expect(releaseVersion('6.13-rc1')).toEqual([6, 13, 0]);
    expect(releaseVersion('6.12.118-amd64')).toEqual([6, 12, 118]);
    expect(releaseVersion('6.12.0-rc1+')).toEqual([6, 12, 0]);
    expect(releaseVersion('6.11')).toEqual([6, 11, 0]);
    expect(releaseVersion('linux')).toBeNull();
  });

  it('matches each bound at its precision', () => {
    const cases: [string, string, boolean][] = [
      ['6.12.117', '>=5.17', true],
      ['6.12.0-rc1+', '>=6.2 <6.13', true],
      ['6.1.158', '>=6.2', false],
      ['6.1.158', '>=5.17 <6.2', true],
      ['6.1.158', '=6.1', true],
      ['6.11', '=6.11', true],
      ['6.12.117', '=6.12', true],
      ['6.12.117', '6.12', true],
      ['6.12.117', '<=6.12', true],
      ['6.12.117', '>6.12', false],
      ['6.12.117', '<6.12.5', false],
      ['6.13.1', '=6.12', false],
      ['6.12.118', '>=6.12 <6.13', true],
      ['6.12.118', '>6.12.117', true],
      ['6.12.118', '=6.12.118', true],
      ['6.12.118-amd64', '>=6.12.118 <6.13', true],
      ['6.12.118-amd64', '<6.12.118', false],
      ['6.13.0-rc2', '>=6.13', true],
      ['6.13.0-rc2', '<6.13', false],
      ['6.13.0-rc2', '>=6.12 <6.13', false],
      ['6.13-rc1', '=6.13.0', true],
      ['linux', '<99', false],
    ];
    for (const [release, range, want] of cases) expect(rangeMatches(range, release), `${release} in ${range}`).toBe(want);
  });

  it('a range that was never validated is a harness bug', () => {
    expect(() => rangeMatches('6.x', '6.12.118')).toThrow(/internal: invalid version range "6.x"/);
  });
});

describe('one definition in every place', () => {
  const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/cases-bad');
  const message = 'version range ">=6.13 <6.12" matches no kernel (no kernel is >=6.13 and <6.12)';

  it('requires.kernel, when.kernel and known-splats kernel give the same message at the range', async () => {
    const err = await loadCases(fixtures, [path.join(fixtures, 'empty-kernel-range.yaml')]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CaseError);
    const rel = path.relative(process.cwd(), fixtures);
    expect((err as CaseError).diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }))).toEqual([
      `${rel}/empty-kernel-range.yaml:2:21: requires.kernel: ${message}`,
      `${rel}/empty-kernel-range.yaml:6:21: steps[1].when.kernel: ${message}`,
    ]);
    let splats: unknown = null;
    try {
      parseKnownSplats("known:\n  - title: '^WARNING: x'\n    reason: r\n    kernel: '>=6.13 <6.12'\n", 'k.yaml');
    } catch (e) {
      splats = e;
    }
    expect(splats).toBeInstanceOf(CaseError);
    expect((splats as CaseError).diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }))).toEqual([`k.yaml:4:13: known[0].kernel: ${message}`]);
  });

  it('the JSON Schema takes its pattern from the grammar', () => {
    const requires = (buildCaseSchema() as { properties: { requires: { properties: { kernel: { pattern: string } } } } }).properties.requires.properties.kernel;
    expect(requires.pattern).toBe(RANGE_PATTERN.source);
  });
});
