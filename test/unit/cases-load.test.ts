import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalErrno, ERRNO, errnoName, errnoNumber, similarErrnos } from '../../runner/abi/errno.js';
import { CaseError, loadCases, parseCase } from '../../runner/cases/load.js';
import type { Step } from '../../runner/cases/types.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { SCHEMA_FILE } from '../../runner/schema/case-schema.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const casesDir = path.join(repo, 'cases');

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(abs)));
    else if (e.name.endsWith('.yaml')) out.push(abs);
  }
  return out;
}

function flat(steps: Step[]): Step[] {
  return steps.flatMap((s) => (s.kind === 'fork' ? [s, ...flat(s.child), ...flat(s.parent)] : [s]));
}

describe('the cases under cases/', () => {
  it('all load, one Case per file, sorted by id', async () => {
    const files = await yamlFiles(casesDir);
    const cases = await loadCases(casesDir);
    expect(cases.length).toBe(files.length);
    const ids = cases.map((c) => c.id);
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(ids)).toEqual(
      new Set(files.map((f) => path.relative(casesDir, f).split(path.sep).join('/').replace(/\.yaml$/, ''))),
    );
  });

  it('has at least 14 cases in the area folders, each citing kernel-behaviour.md and asserting something', async () => {
    const cases = (await loadCases(casesDir)).filter((c) => /^(naming|merge|fork|errors)\//.test(c.id));
    expect(cases.length).toBeGreaterThanOrEqual(14);
    for (const c of cases) {
      expect(c.title, c.id).not.toBe('');
      expect(c.spec.length, c.id).toBeGreaterThan(0);
      if (c.probe) continue; // a custom C probe asserts through its KTAP results
      const asserts = flat(c.steps).filter((s) => s.kind === 'expect' || ('outcome' in s && s.outcome.errno !== null));
      expect(asserts.length, c.id).toBeGreaterThan(0);
    }
    for (const area of ['naming', 'merge', 'fork', 'errors']) {
      expect(cases.some((c) => c.id.startsWith(`${area}/`)), area).toBe(true);
    }
  });

  it('loads only the given files and directories', async () => {
    const one = await loadCases(casesDir, [path.join(casesDir, 'fork'), path.join(casesDir, 'naming/s1-name-middle-page.yaml')]);
    expect(one.map((c) => c.id)).toContain('naming/s1-name-middle-page');
    expect(one.every((c) => c.id.startsWith('fork/') || c.id === 'naming/s1-name-middle-page')).toBe(true);
  });
});

describe('the Case model', () => {
  const src = `title: model
spec: [S1, R10b]
requires: { kconfig: [ANON_VMA_NAME], kernel: ">=6.2  <6.13" }
window: 16
timeout: 2.5
steps:
  - map: { id: a, at: 1, pages: 4, prot: rx, shared: true, populate: true, noreserve: true }
  - map: { at: 8, pages: 1, prot: none, errno: EWOULDBLOCK }
  - mprotect: { region: a, page: 1, prot: wx }
  - touch: { region: a, page: 2, pages: 1, access: read }
  - name: { region: a, page: 1, pages: 2, name: { hex: "80FF" } }
  - name: { at: 3, len: 1, offset: 7, name: { repeat: ab, count: 3 } }
  - name: { region: a, name: null }
  - name: { region: a, name: "\\x1f" }
  - unmap: { at: 8, pages: 1 }
  - expect: { layout: [ { region: a, page: 1, pages: 2, perms: rw-s, name: "[anon:x]" }, { at: 8, pages: 1 } ], vmas: 2 }
`;

  it('carries defaults, prot text, flags, resolved ranges and name bytes', () => {
    const { case: c, diagnostics } = parseCase(src, 'model.yaml', 'model');
    expect(diagnostics).toEqual([]);
    if (!c) throw new Error('no case');
    expect(c.spec).toEqual(['S1', 'R10b']);
    expect(c.requires).toEqual({ kconfig: ['ANON_VMA_NAME'], kernel: '>=6.2 <6.13' });
    expect(c.windowPages).toBe(16);
    expect(c.timeoutMs).toBe(2500);
    const [m0, m1, mp, t, n0, n1, n2, n3, u, e] = c.steps;
    expect(m0).toMatchObject({ kind: 'map', id: 'a', range: { at: 1, pages: 4 }, prot: 'r-x', shared: true, flags: ['noreserve', 'populate'], outcome: { errno: null } });
    expect(m0?.pos).toEqual({ file: 'model.yaml', line: 7, col: 5 });
    expect(m1).toMatchObject({ kind: 'map', id: null, prot: '---', shared: false, flags: [], outcome: { errno: 'EAGAIN' } });
    expect(mp).toMatchObject({ kind: 'mprotect', range: { at: 2, pages: 3 }, prot: '-wx' });
    expect(t).toMatchObject({ kind: 'touch', range: { at: 3, pages: 1 }, access: 'r' });
    expect(n0).toMatchObject({ kind: 'name', start: 2 * 4096, len: 2 * 4096, name: Uint8Array.from([0x80, 0xff]) });
    expect(n1).toMatchObject({ kind: 'name', start: 3 * 4096 + 7, len: 1, name: new TextEncoder().encode('ababab') });
    expect(n2).toMatchObject({ kind: 'name', start: 4096, len: 4 * 4096, name: null });
    expect(n3).toMatchObject({ kind: 'name', name: Uint8Array.from([0x1f]) });
    expect(u).toMatchObject({ kind: 'unmap', range: { at: 8, pages: 1 } });
    expect(e).toMatchObject({
      kind: 'expect',
      expect: { vmas: 2, layout: { vmas: [{ at: 2, pages: 2, perms: 'rw-s', name: '[anon:x]', index: 0 }, { at: 8, pages: 1, index: 1 }], spans: [] } },
    });
  });

  it('defaults window 32, timeout 10 s, prot rw, touch write', () => {
    const { case: c } = parseCase('title: t\nsteps:\n  - map: { id: a, at: 0, pages: 1 }\n  - touch: { region: a }\n', 'd.yaml', 'd');
    expect(c).toMatchObject({ windowPages: 32, timeoutMs: 10_000, spec: [], requires: { kconfig: [], kernel: null } });
    expect(c?.steps[0]).toMatchObject({ prot: 'rw-' });
    expect(c?.steps[1]).toMatchObject({ access: 'w', range: { at: 0, pages: 1 } });
  });

  it('scopes region ids to fork branches: both branches may define the same id', () => {
    const { diagnostics } = parseCase(
      `title: t
steps:
  - map: { id: a, at: 0, pages: 1 }
  - fork:
      child:
        - map: { id: b, at: 2, pages: 1 }
        - unmap: { region: a }
      parent:
        - map: { id: b, at: 2, pages: 1 }
  - map: { id: b, at: 4, pages: 1 }
`,
      'f.yaml',
      'f',
    );
    expect(diagnostics).toEqual([]);
  });
});

describe('errno table', () => {
  it('maps names and numbers (x86_64)', () => {
    expect(ERRNO['EINVAL']).toBe(22);
    expect(ERRNO['ENOMEM']).toBe(12);
    expect(ERRNO['ENAMETOOLONG']).toBe(36);
    expect(ERRNO['EOVERFLOW']).toBe(75);
    expect(ERRNO['EOPNOTSUPP']).toBe(95);
    expect(errnoNumber('ENOTSUP')).toBe(95);
    expect(canonicalErrno('EWOULDBLOCK')).toBe('EAGAIN');
    expect(errnoName(9)).toBe('EBADF');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoNumber('EFOO')).toBeNull();
    expect(similarErrnos('EINVALID')).toEqual(['EINVAL']);
    expect(similarErrnos('einval')).toEqual(['EINVAL']);
  });
});

describe('files', () => {
  it('reports .yml files and missing paths, all at once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vmaspec-cases-'));
    try {
      await mkdir(path.join(dir, 'sub'));
      await writeFile(path.join(dir, 'sub/x.yml'), 'title: x\n');
      await writeFile(path.join(dir, 'ok.yaml'), 'title: ok\nsteps:\n  - expect: { vmas: 0 }\n');
      const err = await loadCases(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CaseError);
      const rel = (p: string): string => path.relative(process.cwd(), p);
      expect((err as CaseError).code).toBe('E_CASE_INVALID');
      expect((err as CaseError).message).toBe(`${rel(path.join(dir, 'sub/x.yml'))}:1:1: case files end in .yaml; rename it to x.yaml`);
      const err2 = (await loadCases(dir, [path.join(dir, 'nope.yaml'), path.join(dir, 'sub')]).catch((e: unknown) => e)) as CaseError;
      expect(err2.diagnostics.map((d) => d.message).sort()).toEqual(['case files end in .yaml; rename it to x.yaml', 'no such file or directory']);
      expect((await loadCases(dir, [path.join(dir, 'ok.yaml')])).map((c) => c.id)).toEqual(['ok']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads cases from outside the cases folder: ids below the folder given, probes beside the case, one id once', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vmaspec-root-'));
    const mine = await mkdtemp(path.join(tmpdir(), 'vmaspec-mine-'));
    try {
      const body = 'title: t\nsteps:\n  - expect: { vmas: 0 }\n';
      await mkdir(path.join(root, 'fork'));
      await writeFile(path.join(root, 'fork/a.yaml'), body);
      await mkdir(path.join(mine, 'fork/deep'), { recursive: true });
      await writeFile(path.join(mine, 'fork/deep/b.yaml'), body);
      await writeFile(path.join(mine, 'fork/a.yaml'), body);
      await writeFile(path.join(mine, 'p.yaml'), 'title: p\nprobe: probes/p.c\n');
      await mkdir(path.join(mine, 'probes'));
      await writeFile(path.join(mine, 'probes/p.c'), 'int main(void) { return 0; }\n');
      const fromElsewhere = await loadCases(root, [path.join(mine, 'fork/deep'), path.join(mine, 'p.yaml'), path.join(root, 'fork')]);
      expect(fromElsewhere.map((c) => c.id)).toEqual(['deep/b', 'fork/a', 'p']);
      expect(fromElsewhere.find((c) => c.id === 'p')?.probe).toMatchObject({ from: 'case', abs: path.join(mine, 'probes/p.c') });
      // The same file given twice is one case; two files with one id are an error naming both.
      expect((await loadCases(root, [path.join(mine, 'p.yaml'), path.join(mine, 'p.yaml')])).map((c) => c.id)).toEqual(['p']);
      const clash = (await loadCases(root, [path.join(root, 'fork'), path.join(mine, 'fork')]).catch((e: unknown) => e)) as CaseError;
      expect(clash).toBeInstanceOf(CaseError);
      expect(clash.diagnostics.map((d) => [d.file, d.message.split(':')[0]])).toEqual([
        [path.relative(process.cwd(), path.join(mine, 'fork/a.yaml')), `case id "fork/a" is also the id of ${path.relative(process.cwd(), path.join(root, 'fork/a.yaml'))}`],
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(mine, { recursive: true, force: true });
    }
  });

  it('checks the $schema reference of a case file from its own folder, and says the one that works', async () => {
    const mine = await mkdtemp(path.join(tmpdir(), 'vmaspec-mine-'));
    try {
      const body = 'title: t\nsteps:\n  - expect: { vmas: 0 }\n';
      const ours = path.relative(mine, path.join(repoRoot, SCHEMA_FILE));
      await writeFile(path.join(mine, 'copied.yaml'), `# yaml-language-server: $schema=../../${SCHEMA_FILE}\n${body}`);
      await writeFile(path.join(mine, 'fixed.yaml'), `# yaml-language-server: $schema=${ours}\n${body}`);
      await writeFile(path.join(mine, 'url.yaml'), `# yaml-language-server: $schema=https://example.invalid/case.schema.json\n${body}`);
      const err = (await loadCases(mine, [mine]).catch((e: unknown) => e)) as CaseError;
      expect(err).toBeInstanceOf(CaseError);
      expect(err.diagnostics.map((d) => [path.basename(d.file), d.line, d.col, d.message])).toEqual([
        ['copied.yaml', 1, 33, `the schema reference "../../${SCHEMA_FILE}" names no file from this folder; write $schema=${ours} (vmaspec's schema from here), or drop the line`],
      ]);
      await rm(path.join(mine, 'copied.yaml'));
      expect((await loadCases(mine, [mine])).map((c) => c.id)).toEqual(['fixed', 'url']);
    } finally {
      await rm(mine, { recursive: true, force: true });
    }
  });
});
