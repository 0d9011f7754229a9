// The set-up names every program vmaspec runs (runner/setup/bootstrap.mjs PROGRAMS):
// a program the code calls that the set-up does not install works only on a machine
// where someone installed it by hand (rsync, for `make headers_install`, was one).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../runner/qemu/arch.js';
// @ts-expect-error: plain JavaScript with no types (it runs before npm ci has)
import { PACKAGES, PROGRAMS } from '../../runner/setup/bootstrap.mjs';

const programs = PROGRAMS as Record<string, [pkg: string, why: string]>;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !f.includes('node_modules'));
}

/** The programs the code starts by name (the first argument of run, execa, spawnSync …), a CC or tool constant, a qemu/*.yaml binary. */
function calledPrograms(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [/\b(?:run|execa|execaSync|spawn|spawnSync|execFile|execFileSync)\(\s*'([A-Za-z0-9_.+-]+)'/g, /\b(?:CC|[A-Z_]+_TOOL)\s*=\s*'([A-Za-z0-9_.+-]+)'/g];
  for (const file of [...files(join(repoRoot, 'runner'), /\.(ts|mjs)$/), ...files(join(repoRoot, 'test'), /\.ts$/)]) {
    const text = readFileSync(file, 'utf8');
    for (const re of patterns) for (const m of text.matchAll(re)) found.set(m[1]!, relative(repoRoot, file));
  }
  for (const file of files(join(repoRoot, 'qemu'), /\.yaml$/)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^binary:\s*(\S+)/gm)) found.set(m[1]!, relative(repoRoot, file));
  }
  found.delete('node'); // the runtime itself
  found.delete('npm'); // comes with it
  return found;
}

describe('the set-up installs every program vmaspec runs', () => {
  it('finds the programs in the code (the scan works)', () => {
    const called = calledPrograms();
    for (const p of ['make', 'patch', 'musl-gcc', 'qemu-system-x86_64', 'git', 'tar']) expect(called.has(p), p).toBe(true);
  });

  it.each([...calledPrograms()])('%s (called in %s) is named in PROGRAMS with its package and reason', (program) => {
    expect(Object.keys(programs)).toContain(program);
    const [pkg, why] = programs[program]!;
    expect(Object.keys(PACKAGES as object)).toContain(pkg);
    expect(why.length).toBeGreaterThan(5);
  });

  it.each(Object.keys(programs))('%s is on PATH after the set-up', (program) => {
    expect(() => execFileSync('sh', ['-c', `command -v "$1"`, 'sh', program], { stdio: 'pipe' })).not.toThrow();
  });

  it('every package of the set-up is installed (npm test runs the set-up first)', () => {
    const out = execFileSync('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\\n', ...Object.keys(PACKAGES as object)], { encoding: 'utf8' });
    const installed = out.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]);
    expect(installed.sort()).toEqual(Object.keys(PACKAGES as object).sort());
  });
});
