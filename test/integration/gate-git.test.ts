// `vmaspec gate --git` on a real kernel git tree: a repository made here from Debian's
// 6.12 source (one commit), plus one commit that applies a mutant of mutants/. The
// gate exports the base commit, builds it (a whole build: a new source), builds the
// head incrementally, and must report the cases that catch the mutant.
// It costs a git repository of the whole source and one more kernel build, so it
// runs only with VMASPEC_GIT_GATE=1 (`npm run test:git-gate`).
import { execa } from 'execa';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateReport } from '../../runner/gate/run.js';
import { defaultCacheDir } from '../../runner/kernel/cache.js';
import { debianSource } from '../../runner/kernel/source.js';
import { createLogger } from '../../runner/log.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const enabled = process.env.VMASPEC_GIT_GATE === '1';
const MUTANT = 'length-limit-81';

describe.skipIf(!enabled)(`gate --git: a commit that applies mutants/${MUTANT}.patch`, () => {
  let work: string;
  let gate: GateReport;
  let exitCode: number;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vmaspec-git-'));
    const repo = join(work, 'linux');
    const src = await debianSource('6.12', defaultCacheDir(), createLogger({ verbose: false, stream: process.stderr }));
    await cp(src.dir, repo, { recursive: true });
    const git = (args: string[]) => execa('git', ['-C', repo, '-c', 'user.name=vmaspec', '-c', 'user.email=vmaspec@localhost', ...args]);
    await git(['init', '-q']);
    // -f: Debian's .gitignore ignores everything at the top level (its packaging repository holds only debian/).
    await git(['add', '-A', '-f']);
    await git(['commit', '-q', '-m', 'Debian linux-source-6.12']);
    await git(['apply', join(repoRoot, 'mutants', `${MUTANT}.patch`)]);
    await git(['commit', '-q', '-a', '-m', `mutant: ${MUTANT}`]);
    const json = join(work, 'gate.json');
    const r = await execa('node', [join(repoRoot, 'runner/bin/vmaspec.js'), 'gate', '--git', repo, '--base', 'HEAD~1', '--head', 'HEAD', '--json', json, '--no-color', 'cases/errors'], { cwd: repoRoot, reject: false, stderr: 'inherit' });
    exitCode = r.exitCode ?? -1;
    gate = JSON.parse(await readFile(json, 'utf8')) as GateReport;
  }, 60 * 60_000);

  afterAll(() => rm(work, { recursive: true, force: true }));

  it('reports the cases of cases/errors that catch the mutant, and exits 1', async () => {
    const report = JSON.parse(await readFile(join(repoRoot, 'docs/mutants.json'), 'utf8')) as { mutants: { name: string; failed: { id: string }[] }[] };
    const catching = report.mutants.find((m) => m.name === MUTANT)!.failed.map((f) => f.id).filter((id) => id.startsWith('errors/')).sort();
    const regressions = gate.comparison.cases.filter((m) => m.movement === 'newly-failing').map((m) => m.id).sort();
    expect(catching.length).toBeGreaterThan(0);
    expect(regressions).toEqual(catching);
    expect(gate.series).toHaveLength(1);
    expect(gate.base.kernel.source).toMatch(/^git:[0-9a-f]{12} \(HEAD~1\)$/);
    expect(exitCode).toBe(1);
  });
});
