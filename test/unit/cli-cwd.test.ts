// A command started in a directory removed after the shell entered it says so, with its stable
// code and exit 2, instead of an internal error's stack trace from the first relative path.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { repoRoot } from '../../runner/qemu/arch.js';

it('a removed working directory is an E_USAGE, not an internal error', async () => {
  const gone = await mkdtemp(join(tmpdir(), 'vmaspec-gone-'));
  const launcher = join(repoRoot, 'runner/bin/vmaspec.js');
  const r = await execa('sh', ['-c', 'cd "$1" && rmdir "$1" && exec node "$2" check cases/naming/s1-name-middle-page.yaml', 'sh', gone, launcher], { reject: false, env: { VMASPEC_SERVE: '0' } });
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/vmaspec: E_USAGE: the working directory no longer exists/);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}, 60_000);
