// Bad input gets a clear error before any boot (issue 13): the guest's limits, known to the
// validator and checked against the C constants they mirror; an alias bomb that would hang
// the loader; bytes that are not UTF-8; case files too large; timeouts out of range; a
// folder without cases; more cases than a boot's manifest holds.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDocCases } from '../../runner/cases/doc-examples.js';
import { CaseError, formatDiagnostic, loadCases, parseCase } from '../../runner/cases/load.js';
import { CASE_FILE_MAX_BYTES, CASES_PER_RUN_MAX, GUEST_LIMITS } from '../../runner/cases/limits.js';
import { firstBadUtf8 } from '../../runner/cases/utf8.js';
import { writeGeneratedHeaders } from '../../runner/guest/helpers.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { loadSuite } from '../../runner/run.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmaspec-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The diagnostics of a case text, as `line:col: path: message`. */
function problems(source: string): string[] {
  const r = parseCase(source, 'c.yaml', 'c');
  return r.diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }).replace(/^c\.yaml:/, ''));
}

const named = (name: string): string => `title: t\nsteps:\n  - map: { id: a, at: 0, pages: 1 }\n  - name: { region: a, name: ${name}, errno: EINVAL }\n`;

/** The values of C object-like macros, as the compiler evaluates them after preprocessing `file` (with the generated plan headers, as the build does). */
async function cMacros(file: string, names: string[]): Promise<Map<string, bigint>> {
  await writeGeneratedHeaders(tmp);
  const dump = execFileSync('cc', ['-dM', '-E', '-I', join(repoRoot, 'c-helpers'), '-I', tmp, join(repoRoot, file)], { encoding: 'utf8' });
  const defs = new Map<string, string>();
  for (const m of dump.matchAll(/^#define ([A-Za-z_]\w*) (.*)$/gm)) defs.set(m[1] ?? '', m[2] ?? '');
  const needed = new Set<string>();
  const need = (n: string): void => {
    if (needed.has(n) || !defs.has(n)) return;
    needed.add(n);
    for (const id of (defs.get(n) ?? '').match(/[A-Za-z_]\w*/g) ?? []) need(id);
  };
  names.forEach(need);
  const missing = names.filter((n) => !needed.has(n));
  if (missing.length) throw new Error(`${file} does not define ${missing.join(', ')}`);
  const src = [
    '#include <stdio.h>',
    ...[...needed].map((n) => `#undef ${n}\n#define ${n} ${defs.get(n) ?? ''}`),
    'int main(void) {',
    ...names.map((n) => `  printf("%s %llu\\n", "${n}", (unsigned long long)(${n}));`),
    '  return 0;',
    '}',
  ].join('\n');
  const c = join(tmp, 'macros.c');
  const exe = join(tmp, 'macros');
  writeFileSync(c, src);
  execFileSync('cc', ['-o', exe, c]);
  const out = execFileSync(exe, { encoding: 'utf8' });
  return new Map(out.trim().split('\n').map((l) => [l.split(' ')[0] ?? '', BigInt(l.split(' ')[1] ?? '0')]));
}

describe('the guest limits the validator knows', () => {
  it('agree with the C constants they mirror', async () => {
    const byFile = new Map<string, string[]>();
    for (const l of Object.values(GUEST_LIMITS)) byFile.set(l.file, [...(byFile.get(l.file) ?? []), l.constant]);
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const [file, names] of byFile) {
      const values = await cMacros(file, names);
      for (const n of names) got[n] = Number(values.get(n));
    }
    for (const l of Object.values(GUEST_LIMITS)) want[l.constant] = l.value;
    expect(got).toEqual(want);
  });

  it('names: at most NAME_MAX_BYTES, checked before a repeat is built', () => {
    const msg = (n: number): string => `name is ${n} bytes; the guest takes at most 8192 bytes (NAME_MAX_BYTES, c-helpers/vmaprobe.c)`;
    expect(problems(named(`{ repeat: "abc", count: 3000 }`))).toEqual([`4:30: steps[1].name.name: ${msg(9000)}`]);
    expect(problems(named(`"${'x'.repeat(8193)}"`))).toEqual([`4:30: steps[1].name.name: ${msg(8193)}`]);
    expect(problems(named(`{ hex: "${'ff'.repeat(8200)}" }`))).toEqual([`4:37: steps[1].name.name.hex: ${msg(8200)}`]);
    expect(problems(named(`{ repeat: "ab", count: 4096 }`))).toEqual([]);
    // 100 KB repeated 4096 times: 400 MB, once an internal error at 1.7 GB.
    const t0 = Date.now();
    expect(problems(named(`{ repeat: "${'n'.repeat(100_000)}", count: 4096 }`))).toEqual([`4:30: steps[1].name.name: ${msg(409_600_000)}`]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a plan file under PLAN_MAX: the names of many steps add up', () => {
    const big = 'n'.repeat(8000);
    const src = `title: t\nsteps:\n  - map: { id: a, at: 0, pages: 1 }\n  - name: { region: a, name: &n "${big}", errno: EINVAL }\n${'  - name: { region: a, name: *n, errno: EINVAL }\n'.repeat(300)}`;
    expect(problems(src)).toEqual([
      `266:30: steps[263].name.name: the names of this case take 4194304 bytes of plan text by here (two hex digits a byte); the guest reads plans of less than 4194304 bytes (PLAN_MAX, c-helpers/vmaprobe.c)`,
    ]);
  });

  it('at most OBS_QUERIES_MAX PROCMAP_QUERY items', () => {
    const item = '{ region: a, name: "" }';
    const src = (n: number): string => `title: t\nsteps:\n  - map: { id: a, at: 0, pages: 1 }\n  - expect: { query: [&q ${item}${', *q'.repeat(n - 1)}] }\n`;
    expect(problems(src(4096))).toEqual([]);
    expect(problems(src(4097))).toEqual([
      '4:5: steps[1]: more than 4096 PROCMAP_QUERY items in this case from here on; the guest takes at most 4096 (OBS_QUERIES_MAX, c-helpers/probe_observe.h)',
    ]);
  });

  it('at most STEPS_UNDO_MAX sysctls and tmpfs files a process puts back, inherited at fork', () => {
    const maps = (from: number, n: number, indent: string): string =>
      Array.from({ length: n }, (_, i) => `${indent}- map: { at: ${from + i}, pages: 1, backing: tmpfs, shared: true }\n`).join('');
    const src = (child: number, parent: number): string =>
      `title: t\nwindow: 128\nsteps:\n${maps(0, 20, '  ')}  - fork:\n      child:\n${maps(20, child, '        ')}      parent:\n${maps(60, parent, '        ')}`;
    expect(problems(src(12, 12))).toEqual([]);
    expect(problems(src(13, 12))).toEqual([
      '38:11: steps[20].fork.child[12]: a process of this case has 33 sysctl values and tmpfs files to put back at this step; the guest takes at most 32 (STEPS_UNDO_MAX, c-helpers/probe_steps.h) per process',
    ]);
  });

  it('a tmpfs or memfd region id and a sysctl key fit the guest', () => {
    const id = `r${'x'.repeat(64)}`;
    expect(problems(`title: t\nsteps:\n  - map: { id: ${id}, at: 0, pages: 1, backing: memfd }\n`)).toEqual([
      '3:16: steps[0].map.id: region id is 65 characters and names the memfd file; the guest takes at most 64 characters (STEPS_BASE_MAX, c-helpers/probe_steps.h)',
    ]);
    expect(problems(`title: t\nsteps:\n  - map: { id: ${id}, at: 0, pages: 1 }\n`)).toEqual([]);
    const key = `vm.${'k'.repeat(94)}`;
    expect(problems(`title: t\nsteps:\n  - sysctl: { key: ${key}, value: 1 }\n`)).toEqual([
      '3:20: steps[0].sysctl.key: sysctl key is 97 characters; the guest takes at most 96 characters (STEPS_KEY_MAX, c-helpers/probe_steps.h)',
    ]);
  });
});

describe('alias expansion', () => {
  it('the fork alias bomb (1 KB, 4^17 steps) is an error in milliseconds, in a process of its own so a hang fails', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `import { parseCase } from './runner/cases/load.ts'; import { readFileSync } from 'node:fs'; const r = parseCase(readFileSync('test/fixtures/cases-bad/alias-bomb.yaml', 'utf8'), 'b.yaml', 'b'); console.log(r.diagnostics.map((d) => d.path + ': ' + d.message).join('\\n'));`],
      { cwd: repoRoot, encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=512' } },
    );
    expect(r.signal).toBeNull();
    expect(r.stdout.trim()).toMatch(/^steps\[9\]\.fork\.child\[0\]: aliases expand this case to more than 1048576 YAML nodes/);
  });

  it('a case that just fits is read', () => {
    // 2^10 expect steps through nested aliases, well under the limits.
    const lines = ['title: t', 'steps:', '  - &a { expect: { vmas: 0 } }'];
    for (let i = 1; i <= 10; i++) lines.push(`  - &a${i} { fork: { child: [*${i === 1 ? 'a' : `a${i - 1}`}, *${i === 1 ? 'a' : `a${i - 1}`}] } }`);
    expect(problems(`${lines.join('\n')}\n`)).toEqual([]);
  });
});

describe('bytes and sizes', () => {
  it('firstBadUtf8: the offset of the first byte of an ill-formed sequence', () => {
    const at = (...b: number[]): number => firstBadUtf8(Uint8Array.from(b));
    expect(at(0x61, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80)).toBe(-1);
    expect(at(0x61, 0xff)).toBe(1);
    expect(at(0xc0, 0x80)).toBe(0); // overlong
    expect(at(0x61, 0xed, 0xa0, 0x80)).toBe(1); // a surrogate
    expect(at(0xf4, 0x90, 0x80, 0x80)).toBe(0); // past U+10FFFF
    expect(at(0x61, 0x62, 0xe2, 0x82)).toBe(2); // cut short
  });

  it('a Markdown page of examples with a byte that is not UTF-8', async () => {
    const page = join(tmp, 'page.md');
    writeFileSync(page, Buffer.concat([Buffer.from('# x\n\n```yaml\ntitle: "d'), Buffer.from([0xe9]), Buffer.from('j\u00e0"\nsteps: []\n```\n')]));
    const err = await loadDocCases(page, 'page.md').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaseError);
    expect((err as CaseError).diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }))).toEqual([
      'page.md:4:10: invalid UTF-8 at byte 22 (0xe9); case files are UTF-8 text (raw name bytes are written { hex: "…" })',
    ]);
  });

  it('a case file over CASE_FILE_MAX_BYTES is not parsed', async () => {
    const root = join(tmp, 'big');
    mkdirSync(root);
    writeFileSync(join(root, 'big.yaml'), `title: t\n# ${'x'.repeat(CASE_FILE_MAX_BYTES)}\nsteps: []\n`);
    const err = (await loadCases(root).catch((e: unknown) => e)) as CaseError;
    expect(err.diagnostics.map((d) => d.message)).toEqual([`case file is ${CASE_FILE_MAX_BYTES + 22} bytes; case files are at most ${CASE_FILE_MAX_BYTES} bytes`]);
  });
});

describe('timeouts', () => {
  const withTimeout = (t: string): string[] => problems(`title: t\ntimeout: ${t}\nsteps:\n  - expect: { vmas: 0 }\n`);
  it('seconds from 1 to 3600', () => {
    for (const ok of ['1', '2.5', '3600']) expect(withTimeout(ok), ok).toEqual([]);
    for (const bad of ['0.000001', '0.5', '3601', '-1']) {
      expect(withTimeout(bad), bad).toEqual([`2:10: timeout: expected seconds, a number from 1 to 3600 (default 10), got ${bad.includes('.') ? 'number' : 'integer'} ${Number(bad)}`]);
    }
  });
});

describe('folders', () => {
  it('a folder with no case files is an error naming it, given or as the root', async () => {
    const root = join(tmp, 'root');
    mkdirSync(join(root, 'empty'), { recursive: true });
    mkdirSync(join(root, 'full'));
    writeFileSync(join(root, 'full/ok.yaml'), 'title: ok\nsteps:\n  - expect: { vmas: 0 }\n');
    const shown = (p: string): string => relative(process.cwd(), p);
    const err = (await loadCases(root, [join(root, 'empty'), join(root, 'full')]).catch((e: unknown) => e)) as CaseError;
    expect(err).toBeInstanceOf(CaseError);
    expect(err.message).toBe(`${shown(join(root, 'empty'))}:1:1: no case files (*.yaml) in this folder`);
    const suite = await loadSuite(root, [join(root, 'empty')]).catch((e: unknown) => e);
    expect(suite).toBeInstanceOf(CaseError);
    const emptyRoot = join(tmp, 'empty-root');
    mkdirSync(emptyRoot);
    expect(((await loadCases(emptyRoot).catch((e: unknown) => e)) as CaseError).message).toBe(`${shown(emptyRoot)}:1:1: no case files (*.yaml) in this folder`);
    // An empty folder inside a folder that has cases is fine.
    expect((await loadCases(root, [root])).map((c) => c.id)).toEqual(['full/ok']);
  });

  it('`vmaspec check` and `vmaspec run` of an empty folder exit 2 before anything is built', () => {
    const empty = join(repoRoot, 'cases', `.empty-${process.pid}`); // a dot folder: walks of cases/ skip it
    mkdirSync(empty);
    try {
      for (const command of ['check', 'run']) {
        const r = spawnSync(process.execPath, [join(repoRoot, 'runner/bin/vmaspec.js'), command, empty], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
        expect({ command, status: r.status, stderr: r.stderr.trim() }).toEqual({ command, status: 2, stderr: `${relative(repoRoot, empty)}:1:1: no case files (*.yaml) in this folder` });
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('more case files than a boot manifest holds (MANIFEST_MAX) is an error before any is read', async () => {
    const many = join(tmp, 'many');
    mkdirSync(many);
    for (let i = 0; i <= CASES_PER_RUN_MAX; i++) writeFileSync(join(many, `c${i}.yaml`), '');
    const err = (await loadCases(many).catch((e: unknown) => e)) as CaseError;
    expect(err.diagnostics.map((d) => d.message)).toEqual([
      `${CASES_PER_RUN_MAX + 1} case files; one run takes at most ${CASES_PER_RUN_MAX}: a boot's manifest holds a line of up to 64 bytes a case and MANIFEST_MAX (c-helpers/init.c) is 1048576 bytes`,
    ]);
  });
});
