// The kernel matrix through the command line: every case on Debian's 6.1 and 6.12
// (`run --kernel debian:6.1 --kernel debian:6.12`). Each cell passes or skips with a
// reason; the JSON holds the matrix. Building 6.1 costs a whole kernel build more, so
// this runs only with VMASPEC_MATRIX=1 (`npm run test:matrix`).
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixReport } from '../../runner/matrix/matrix.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const enabled = process.env.VMASPEC_MATRIX === '1';

describe.skipIf(!enabled)('run --kernel debian:6.1 --kernel debian:6.12', () => {
  let out: string;
  let matrix: MatrixReport;
  let stdout: string;
  let exitCode: number;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'vmaspec-matrix-'));
    const r = await execa('node', [join(repoRoot, 'runner/bin/vmaspec.js'), 'run', '--kernel', 'debian:6.1', '--kernel', 'debian:6.12', '--json', join(out, 'matrix.json'), '--no-color'], { cwd: repoRoot, reject: false, stderr: 'inherit' });
    exitCode = r.exitCode ?? -1;
    stdout = r.stdout;
    matrix = JSON.parse(await readFile(join(out, 'matrix.json'), 'utf8')) as MatrixReport;
  }, 60 * 60_000);

  afterAll(() => rm(out, { recursive: true, force: true }));

  it('reads each kernel version from its built tree', () => {
    expect(matrix.kernels.map((k) => k.label)).toEqual(['debian:6.1', 'debian:6.12']);
    expect(matrix.kernels[0]!.release).toMatch(/^6\.1\.\d+/);
    expect(matrix.kernels[1]!.release).toMatch(/^6\.12\.\d+/);
  });

  it('every case passes or skips with a reason on both, and the exit status says so', () => {
    const bad = matrix.rows.flatMap((r) => r.cells.map((c, k) => ({ id: r.id, kernel: matrix.kernels[k]!.label, ...c }))).filter((c) => c.verdict !== 'pass' && !(c.verdict === 'skip' && c.reason));
    expect(bad).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it('skips on 6.1 what 6.1 lacks: PROCMAP_QUERY (6.11) and naming shared anonymous memory (6.2)', () => {
    const on61 = (id: string) => matrix.rows.find((r) => r.id === id)?.cells[0];
    expect(on61('procmap-query/q1-ioctl-only-on-maps')).toMatchObject({ verdict: 'skip', reason: expect.stringMatching(/needs kernel >=6\.11, this is 6\.1\./) });
    expect(on61('naming/s17-shared-anon')?.verdict).toBe('skip');
    expect(on61('naming/s17-shared-anon-by-version')?.verdict).toBe('pass');
    expect(matrix.rows.filter((r) => r.cells[0]!.verdict === 'pass').length).toBeGreaterThan(50);
  });

  it('prints the matrix: a row per case, a column per kernel, skip reasons as footnotes', () => {
    expect(stdout).toMatch(/^case +debian:6\.1 \(6\.1\.\d+\) +debian:6\.12 \(6\.12\.\d+\)$/m);
    expect(stdout).toMatch(/^procmap-query\/q1-ioctl-only-on-maps +skip\[\d+\] +pass$/m);
    expect(stdout).toMatch(/^\[\d+\] needs kernel >=6\.11, this is 6\.1\.\d+$/m);
  });
});
