// loadSuite: case files and folders under cases/, and Markdown pages whose ```yaml blocks are
// cases, in one list; the problems of both in one CaseError.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseError } from '../../runner/cases/diagnostics.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { loadSuite } from '../../runner/run.js';

const casesRoot = join(repoRoot, 'cases');
const tmp = await mkdtemp(join(tmpdir(), 'vmaspec-suite-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('loadSuite', () => {
  it('loads a case folder and docs/cases.md together', async () => {
    const cases = await loadSuite(casesRoot, [join(casesRoot, 'probes'), join(repoRoot, 'docs/cases.md')]);
    const ids = cases.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['probes/anon-name', 'probes/sysv-shm-name', 'docs/cases.md#1']));
    expect(cases.find((c) => c.id === 'probes/anon-name')?.probe).toMatchObject({ from: 'case', abs: join(casesRoot, 'probes/anon-name.c') });
  });

  it('reports the problems of a page and of case files in one error', async () => {
    const page = join(tmp, 'page.md');
    await writeFile(page, '# x\n\n```yaml\ntitle: t\nsteps:\n  - mapp: {}\n```\n');
    const err = await loadSuite(casesRoot, [page, join(tmp, 'nowhere.yaml')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaseError);
    const shown = relative(process.cwd(), tmp);
    expect((err as CaseError).diagnostics.map((d) => `${d.file}:${d.line}: ${d.message.split(';')[0]}`)).toEqual([
      `${shown}/nowhere.yaml:1: no such file or directory`,
      `${shown}/page.md:6: unknown step "mapp"`,
    ]);
  });
});
