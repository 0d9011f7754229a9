// A stop signal sent to vmaspec alone (not to its terminal's process group, as
// `kill PID` or a CI runner's timeout does) during a kernel build: vmaspec stops make
// and its compilers and exits 130 at once, instead of waiting minutes for the build
// (docs/reliability.md, the fault matrix). The build runs in a cache of its own whose
// source (and the kept tinyconfig) is linked to the real cache, so it starts from nothing and is sure to be long.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { defaultCacheDir } from '../../runner/kernel/cache.js';
import { debianSource } from '../../runner/kernel/source.js';
import { createLogger } from '../../runner/log.js';
import { repoRoot } from '../../runner/qemu/arch.js';
import { processesNaming } from '../fixtures/processes.js';

let scratch = '';

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

it('SIGINT to vmaspec alone stops the kernel build at once: exit 130, no make or compiler left', async () => {
  scratch = await mkdtemp(join(tmpdir(), 'vmaspec-faults-make-'));
  const cache = join(scratch, 'cache');
  await mkdir(cache);
  // Debian's source, extracted in the real cache (a cold machine may run this file first): linked, not extracted again.
  await debianSource('6.12', defaultCacheDir(), createLogger({ verbose: false, stream: process.stderr }));
  await symlink(join(defaultCacheDir(), 'src'), join(cache, 'src'));
  // And the kept tinyconfig of that source: the configuration takes ~10 s instead of ~35 s before make compiles.
  await mkdir(join(defaultCacheDir(), 'configs'), { recursive: true });
  await symlink(join(defaultCacheDir(), 'configs'), join(cache, 'configs'));
  const child = spawn(process.execPath, [join(repoRoot, 'runner/bin/vmaspec.js'), 'kernel', 'build', '--cache-dir', cache], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // make is compiling: the build's own progress line, then a few seconds of it.
  const deadline = Date.now() + 120_000;
  while (!/kernel: building \[\d+ steps/.test(stderr) && Date.now() < deadline) await sleep(100);
  expect(stderr, 'the build started').toMatch(/kernel: building \[\d+ steps/);
  expect((await processesNaming(cache)).length, 'make runs').toBeGreaterThan(0);
  const t0 = Date.now();
  process.kill(child.pid!, 'SIGINT');
  const stopped = await Promise.race([closed, sleep(30_000).then(() => 'still running' as const)]);
  const ms = Date.now() - t0;
  if (stopped === 'still running') child.kill('SIGKILL');
  expect(stopped, `vmaspec exited ${ms} ms after SIGINT; stderr:\n${stderr}`).toBe(130);
  expect(stderr).toMatch(/E_INTERRUPTED/);
  // make passes the signal to its jobs and waits for them; nothing of the build is left.
  let left = await processesNaming(cache);
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await sleep(100);
    left = await processesNaming(cache);
  }
  expect(left).toEqual([]);
}, 240_000);
