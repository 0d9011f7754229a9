// A tool's answer kept in the cache (runner/util/tool-answer.ts) is used only while every file
// it depends on is the same file: a rewritten program (even of the same size, its modification
// time put back), a changed dependency file or a changed program it runs asks the tool again.
// Real programs (shell scripts) answer; the test counts how often they are run.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, toolAnswer, type ToolQuestion } from '../../runner/util/tool-answer.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-tool-answer-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A program that prints `words`. */
async function program(path: string, words: string): Promise<void> {
  await writeFile(path, `#!/bin/sh\necho ${words}\n`);
  await chmod(path, 0o755);
}

/** Asks through the cache; `runs` counts the times the program itself ran. */
function asker(cache: string, question: ToolQuestion): { ask: () => Promise<string>; runs: () => number } {
  let runs = 0;
  return {
    ask: () =>
      toolAnswer(cache, question, async () => {
        runs++;
        return (await promisify(execFile)(question.command, question.args)).stdout.trim();
      }),
    runs: () => runs,
  };
}

describe('a tool answer kept in the cache', () => {
  it('is asked once, then read from the cache', async () => {
    const dir = await mkdtemp(join(root, 'once-'));
    await program(join(dir, 'tool'), 'one');
    const { ask, runs } = asker(join(dir, 'cache'), { command: join(dir, 'tool'), args: ['--version'] });
    expect(await ask()).toBe('one');
    expect(await ask()).toBe('one');
    expect(runs()).toBe(1);
    expect(await readdir(join(dir, 'cache', 'tools'))).toHaveLength(1);
  });

  it('is not used once the program is rewritten, even to the same size with its modification time put back', async () => {
    const dir = await mkdtemp(join(root, 'rewritten-'));
    const tool = join(dir, 'tool');
    const when = 1_700_000_000; // whole seconds: utimes puts them back exactly
    await program(tool, 'one');
    await utimes(tool, when, when);
    const { ask, runs } = asker(join(dir, 'cache'), { command: tool, args: [] });
    expect(await ask()).toBe('one');
    const before = await stat(tool);
    await program(tool, 'two');
    await utimes(tool, when, when);
    const after = await stat(tool);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    expect(await ask()).toBe('two');
    expect(runs()).toBe(2);
  });

  it('is not used once a file it depends on changes, nor once a program it runs does', async () => {
    const dir = await mkdtemp(join(root, 'depends-'));
    const tool = join(dir, 'tool');
    const inner = join(dir, 'inner');
    const database = join(dir, 'database');
    await writeFile(tool, `#!/bin/sh\ncat ${database}\nexec ${inner}\n`);
    await chmod(tool, 0o755);
    await program(inner, 'inner-one');
    await writeFile(database, 'db-one\n');
    const { ask, runs } = asker(join(dir, 'cache'), { command: tool, args: [], files: [database], programs: [inner] });
    expect(await ask()).toBe('db-one\ninner-one');
    await writeFile(database, 'db-two\n');
    expect(await ask()).toBe('db-two\ninner-one');
    await program(inner, 'inner-two');
    expect(await ask()).toBe('db-two\ninner-two');
    expect(await ask()).toBe('db-two\ninner-two');
    expect(runs()).toBe(3);
  });

  it('keeps no failed answer, and asks a program that is not on PATH (its error is the caller\'s)', async () => {
    const dir = await mkdtemp(join(root, 'failed-'));
    const cache = join(dir, 'cache');
    const question = { command: join(dir, 'tool'), args: [] };
    let calls = 0;
    const failing = (): Promise<string> => {
      calls++;
      return Promise.reject(new Error('no such tool'));
    };
    await expect(toolAnswer(cache, question, failing)).rejects.toThrow('no such tool');
    await program(question.command, 'now');
    const { ask } = asker(cache, question);
    expect(await ask()).toBe('now');
    expect(calls).toBe(1);
  });

  it('finds a program on PATH as the shell does: the first executable file of that name', async () => {
    const dir = await mkdtemp(join(root, 'path-'));
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await Promise.all([a, b, join(a, 'dir')].map((d) => mkdir(d, { recursive: true })));
    await writeFile(join(a, 'tool'), 'not executable\n');
    await program(join(b, 'tool'), 'b');
    expect(await onPath('tool', [a, b].join(delimiter))).toBe(join(b, 'tool'));
    expect(await onPath('dir', [a, b].join(delimiter))).toBeNull();
    expect(await onPath('missing', [a, b].join(delimiter))).toBeNull();
  });
});
