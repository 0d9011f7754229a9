// runner/qemu/tether.ts: a tethered child dies with its parent, even a parent
// killed by SIGKILL, and a child whose parent died before the tether exits at once.
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ORPHANED_EXIT, tethered } from '../../runner/qemu/tether.js';

const alive = async (pid: number): Promise<boolean> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
};

describe('tethered', () => {
  it('runs the command through setpriv --pdeathsig KILL and a parent check', () => {
    const t = tethered('qemu-system-x86_64', ['-M', 'microvm'], 1234);
    expect(t.file).toBe('setpriv');
    expect(t.args.slice(0, 5)).toEqual(['--pdeathsig', 'KILL', '--', 'sh', '-c']);
    expect(t.args.slice(6)).toEqual(['1234', 'qemu-system-x86_64', '-M', 'microvm']);
  });

  it('passes arguments through untouched and keeps the PID of the command (exec, not fork)', () => {
    const t = tethered('sh', ['-c', 'echo "$$ $1"', 'x', 'a b; $HOME']);
    const r = spawnSync(t.file, t.args, { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`${r.pid} a b; $HOME`);
  });

  it('the child dies when its parent is killed by SIGKILL', async () => {
    // A parent node process that spawns a tethered `sleep 60` (its own PID as the expected parent) and prints the child's PID.
    const t = tethered('sleep', ['60'], 0);
    const script = `const a = JSON.parse(process.argv[1]); a[6] = String(process.pid); const c = require('node:child_process').spawn(${JSON.stringify(t.file)}, a, { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script, JSON.stringify(t.args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    expect(await alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while ((await alive(pid)) && Date.now() < deadline) await sleep(10);
    expect(await alive(pid)).toBe(false);
  });

  it(`a child whose parent is already gone does not run the command (exit ${ORPHANED_EXIT})`, () => {
    const t = tethered('echo', ['ran'], 999_999_999); // not our PID: as if vmaspec died before the tether
    const r = spawnSync(t.file, t.args, { encoding: 'utf8' });
    expect(r.status).toBe(ORPHANED_EXIT);
    expect(r.stdout).toBe('');
  });
});
