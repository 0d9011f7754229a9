// The CLI bundle's code cache (runner/bin/code-cache.mjs) is used only for the bundle it was
// made from: a bundle rewritten to other code of the same length (which V8's own check lets
// through, running the old code) and a cache of another Node are not used; a cache V8 refuses
// is made again. Real bundles, compiled by V8.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript with no types (the bin loads it before any bundle exists)
import { cacheHeader, loadBundle, wrapped } from '../../runner/bin/code-cache.mjs';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmaspec-code-cache-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A CommonJS bundle whose exports say which it is; every `which` of one length makes bundles of one length. */
const bundle = (which: string): string => `'use strict';\nconst which = () => '${which}';\nmodule.exports = { which, answer: which().length };\n`;

interface Loaded {
  exports: { which: () => string };
  cache: 'used' | 'none' | 'rejected';
  save: () => void;
}
const load = (file: string): Loaded => loadBundle(file, `${file}.code`) as Loaded;

describe('the code cache of the CLI bundle', () => {
  it('is made after the first run and used by the next', async () => {
    const file = join(root, 'first.cjs');
    await writeFile(file, bundle('one'));
    const first = load(file);
    expect([first.cache, first.exports.which()]).toEqual(['none', 'one']);
    first.save();
    const second = load(file);
    expect([second.cache, second.exports.which()]).toEqual(['used', 'one']);
  });

  it('is not used for a bundle rewritten to other code of the same length (V8 alone would run the old code)', async () => {
    const file = join(root, 'rewritten.cjs');
    await writeFile(file, bundle('one'));
    load(file).save();
    const old = await readFile(`${file}.code`);
    await writeFile(file, bundle('two'));
    expect((await readFile(file)).length).toBe(bundle('one').length);

    // The fault this guards against: V8 takes the old cache for the new source and runs the old code.
    const data = old.subarray(cacheHeader(Buffer.from(bundle('one'))).length);
    const raw = new Script(wrapped(bundle('two')), { filename: file, cachedData: data });
    const m = { exports: {} as { which?: () => string } };
    raw.runInThisContext()(m.exports, undefined, m);
    expect([raw.cachedDataRejected, m.exports.which?.()]).toEqual([false, 'one']);

    const loaded = load(file);
    expect([loaded.cache, loaded.exports.which()]).toEqual(['none', 'two']);
    loaded.save();
    expect(load(file).cache).toBe('used');
  });

  it('is not used when another Node made it', async () => {
    const file = join(root, 'other-node.cjs');
    await writeFile(file, bundle('one'));
    load(file).save();
    const cache = await readFile(`${file}.code`, 'latin1');
    await writeFile(`${file}.code`, cache.replace(` ${process.version} `, ' v0.0.0 '), 'latin1');
    expect(load(file).cache).toBe('none');
  });

  it('is made again when V8 refuses it', async () => {
    const file = join(root, 'refused.cjs');
    await writeFile(file, bundle('one'));
    await writeFile(`${file}.code`, Buffer.concat([Buffer.from(cacheHeader(await readFile(file))), Buffer.alloc(64, 7)]));
    const refused = load(file);
    expect([refused.cache, refused.exports.which()]).toEqual(['rejected', 'one']);
    refused.save();
    expect(load(file).cache).toBe('used');
  });
});
