// known-splats.yaml (runner/health/allowlist.ts): validation with file:line:col, and matching.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseError, formatDiagnostic } from '../../runner/cases/diagnostics.js';
import { knownSplat, loadKnownSplats, parseKnownSplats } from '../../runner/health/allowlist.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const errors = (text: string): string[] => {
  try {
    parseKnownSplats(text, 'k.yaml');
  } catch (e) {
    if (e instanceof CaseError) return e.diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }));
    throw e;
  }
  return [];
};

describe('known-splats.yaml', () => {
  it('the repository file loads', async () => {
    expect(await loadKnownSplats(join(repoRoot, 'known-splats.yaml'))).toEqual([]);
  });

  it('accepts a full entry and matches by title, kind and kernel range', () => {
    const known = parseKnownSplats(
      ['known:', '  - title: "^WARNING: at mm/mmap\\\\.c:\\\\d+ "', '    reason: fixed upstream', '    link: https://lore.kernel.org/x', "    kernel: '>=6.12 <6.13'", '    kind: warning'].join('\n'),
      'k.yaml',
    );
    expect(known).toHaveLength(1);
    expect(known[0]!.where).toBe('k.yaml:2');
    const r = { title: 'WARNING: at mm/mmap.c:123 foo', kind: 'warning' as const };
    expect(knownSplat(r, known, '6.12.117')).toBe(known[0]);
    expect(knownSplat(r, known, '6.13.1')).toBeNull();
    expect(knownSplat({ ...r, kind: 'bug' }, known, '6.12.117')).toBeNull();
    expect(knownSplat({ ...r, title: 'WARNING: at mm/memory.c:1 foo' }, known, '6.12.117')).toBeNull();
  });

  it('a missing reason, an unknown key, a bad pattern, range, link and kind are errors at their positions', () => {
    expect(errors('known:\n  - title: foo\n')).toEqual(['k.yaml:2:5: known[0]: missing key "reason": say why this report is accepted']);
    expect(errors('known:\n  - title: foo\n    reason: r\n    why: x\n')).toEqual(['k.yaml:4:5: known[0].why: unknown key "why"; allowed: title, reason, link, kernel, kind']);
    expect(errors('known:\n  - title: "(a"\n    reason: r\n')[0]).toMatch(/^k\.yaml:2:12: known\[0\]\.title: not a regular expression/);
    expect(errors('known:\n  - { title: a, reason: r, kernel: "6.x" }\n')).toEqual(['k.yaml:2:36: known[0].kernel: invalid version range "6.x"; expected bounds separated by spaces, each an optional >=, >, <=, < or = (none means =) and a version of one to three numbers, e.g. ">=5.17" or ">=6.2 <6.13"']);
    expect(errors('known:\n  - { title: a, reason: r, link: ftp://x }\n')[0]).toMatch(/^k\.yaml:2:34: known\[0\]\.link: expected an http\(s\) URL/);
    expect(errors('known:\n  - { title: a, reason: r, kind: oopsie }\n')[0]).toMatch(/^k\.yaml:2:34: known\[0\]\.kind: unknown kind "oopsie"/);
    expect(errors('nope: 1\n')[0]).toBe('k.yaml:1:1: nope: unknown key "nope"; allowed: known');
    expect(errors('known:\n  - title: a\n    reason: ""\n')[0]).toMatch(/^k\.yaml:3:13: known\[0\]\.reason: expected a non-empty string/);
  });
});
