import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../runner/log.js';
import { withLock } from '../../runner/util/lock.js';

describe('withLock', () => {
  it('runs holders one at a time', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'vmaspec-lock-'));
    onTestFinished(() => rm(scratch, { recursive: true, force: true }));
    const dir = join(scratch, 'build');
    const events: string[] = [];
    const holder = (name: string) => async () => {
      events.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 50));
      events.push(`${name} out`);
    };
    await Promise.all([withLock(dir, 't', silentLogger, holder('a')), withLock(dir, 't', silentLogger, holder('b'))]);
    // Either may win the lock (under load the second mkdir can come first); they never overlap.
    const first = events[0]?.split(' ')[0];
    const second = first === 'a' ? 'b' : 'a';
    expect(events).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
  });

  it('takes over a lock whose holder died', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'vmaspec-lock-'));
    onTestFinished(() => rm(scratch, { recursive: true, force: true }));
    const dir = join(scratch, 'build');
    await mkdir(`${dir}.lock`);
    await writeFile(join(`${dir}.lock`, 'pid'), '999999999');
    expect(await withLock(dir, 't', silentLogger, async () => 'ran')).toBe('ran');
  });
});
