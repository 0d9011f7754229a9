// Parsed cases kept between runs (runner/cases/parse-cache.ts): a kept case is the case a
// fresh parse gives, and an entry is used only for exactly the source it was made from.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseError, loadCases } from '../../runner/cases/load.js';
import { parseCache } from '../../runner/cases/parse-cache.js';
import { repoRoot } from '../../runner/qemu/arch.js';

const CODE = 'a'.repeat(64);
let dir: string;
let cases: string;
let store: string;

const CASE = (title: string): string => `title: ${title}\nspec: [N1]\nsteps:\n  - map: { at: 0, pages: 1 }\n`;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vmaspec-parse-cache-'));
  cases = path.join(dir, 'cases');
  store = path.join(dir, 'store');
  await cp(path.join(repoRoot, 'cases', 'naming'), path.join(cases, 'naming'), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The entry files of the store (in the folders of the builds of the code), as paths under it. */
const entries = async (): Promise<string[]> => (await readdir(store, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.v8')).sort();

describe('parsed cases kept between runs', () => {
  it('gives back every case of the repository as a fresh parse gives it', async () => {
    const fresh = await loadCases(path.join(repoRoot, 'cases'));
    const cache = parseCache(store, CODE);
    const first = await loadCases(path.join(repoRoot, 'cases'), undefined, cache);
    expect(await entries()).toHaveLength(fresh.length);
    const kept = await loadCases(path.join(repoRoot, 'cases'), undefined, cache);
    expect(first).toStrictEqual(fresh);
    expect(kept).toStrictEqual(fresh);
  });

  it('is read on a hit: an entry changed in place under its own key is what loads', async () => {
    const file = path.join(cases, 'one.yaml');
    await writeFile(file, CASE('the title as written'));
    const cache = parseCache(store, CODE);
    await loadCases(cases, [file], cache);
    const [name] = await entries();
    const [key, parsed] = deserialize(await readFile(path.join(store, name ?? ''))) as [string, { title: string }];
    await writeFile(path.join(store, name ?? ''), serialize([key, { ...parsed, title: 'changed in the store' }]));
    expect((await loadCases(cases, [file], cache))[0]?.title).toBe('changed in the store');
  });

  it('parses a changed file afresh, and keeps the new parse beside the old', async () => {
    const file = path.join(cases, 'one.yaml');
    const cache = parseCache(store, CODE);
    await writeFile(file, CASE('before'));
    expect((await loadCases(cases, [file], cache))[0]?.title).toBe('before');
    await writeFile(file, CASE('after'));
    expect((await loadCases(cases, [file], cache))[0]?.title).toBe('after');
    expect(await entries()).toHaveLength(2);
  });

  it("does not use another file's entry, even under this file's name", async () => {
    const [a, b] = [path.join(cases, 'a.yaml'), path.join(cases, 'b.yaml')];
    await writeFile(a, CASE('same text'));
    await writeFile(b, CASE('same text'));
    const cache = parseCache(store, CODE);
    await loadCases(cases, [a], cache);
    const [ofA] = await entries();
    await loadCases(cases, [b], cache);
    const ofB = (await entries()).find((f) => f !== ofA) ?? '';
    await cp(path.join(store, ofA ?? ''), path.join(store, ofB)); // b's entry now holds a's
    const loaded = await loadCases(cases, [b], cache);
    expect(loaded.map((c) => [c.id, c.file])).toEqual([['b', path.relative(process.cwd(), b)]]);
  });

  it('parses afresh over a damaged entry and writes it whole again', async () => {
    const file = path.join(cases, 'one.yaml');
    await writeFile(file, CASE('whole'));
    const cache = parseCache(store, CODE);
    const fresh = await loadCases(cases, [file], cache);
    const [name] = await entries();
    const whole = await readFile(path.join(store, name ?? ''));
    await writeFile(path.join(store, name ?? ''), whole.subarray(0, whole.length >> 1));
    expect(await loadCases(cases, [file], cache)).toStrictEqual(fresh);
    expect(await readFile(path.join(store, name ?? ''))).toEqual(whole);
  });

  it('keeps the parses of other code apart, and those of the newest four builds only', async () => {
    const file = path.join(cases, 'one.yaml');
    await writeFile(file, CASE('one'));
    await loadCases(cases, [file], parseCache(store, CODE));
    const first = await readdir(store);
    await loadCases(cases, [file], parseCache(store, 'b'.repeat(64)));
    expect(await entries()).toHaveLength(2);
    for (const code of ['c', 'd', 'e']) {
      await new Promise((r) => setTimeout(r, 10)); // distinct modification times
      await loadCases(cases, [file], parseCache(store, code.repeat(64)));
    }
    const left = await readdir(store);
    expect(left).toHaveLength(4);
    expect(left).not.toContain(first[0]);
  });

  it('keeps no invalid case: its diagnostics come every time', async () => {
    const file = path.join(cases, 'bad.yaml');
    await writeFile(file, 'title: no steps\nspec: [N1]\n');
    const cache = parseCache(store, CODE);
    for (let i = 0; i < 2; i++) await expect(loadCases(cases, [file], cache)).rejects.toBeInstanceOf(CaseError);
    expect(await entries()).toEqual([]);
  });
});
