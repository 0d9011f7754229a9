// Loads the CLI's CommonJS bundle through vm.Script with V8's code cache kept beside it:
// compiling the ~2 MB bundle took ~130 ms of every start, reading it from the cache ~35 ms
// (Node 20 has no module.enableCompileCache). A cache is used only when its header names this
// bundle's content (sha256), this Node and this architecture: V8's own check compares only the
// source's length, so the cache of another bundle of the same length would run that code.
import { isAscii } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

const FORMAT = 'vmaspec-code-cache/1';

/** The content hash of a bundle: what it is, whatever its file is called. */
const bundleHash = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The first line of a code cache of the bundle whose content hash is `hash`, made by this Node. */
const headerOf = (hash) => `${FORMAT} ${hash} ${process.version} ${process.arch}\n`;

/** The first line of a code cache of the bundle `bytes` made by this Node. */
export const cacheHeader = (bytes) => headerOf(bundleHash(bytes));

/** CommonJS's wrapper around `source`, on its first line: the bundle's line numbers stay its own. */
export const wrapped = (source) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

/** V8's data in `cacheFile` when the file starts with `header`; else undefined. */
function cachedDataFor(cacheFile, header) {
  let bytes;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const head = Buffer.from(header);
  return bytes.length > head.length && bytes.subarray(0, head.length).equals(head) ? bytes.subarray(head.length) : undefined;
}

/**
 * Runs the CommonJS bundle `file`, compiled from the code cache `cacheFile` when that is of this
 * bundle. Returns its exports; `hash`: the bundle's content hash; `cache`: 'used', 'none' (no cache, or one of another bundle or
 * Node) or 'rejected' (V8 refused it); and `save()`, which writes the cache unless it was used:
 * call it after the bundle's work, so that the functions that work compiled are in it.
 */
export function loadBundle(file, cacheFile) {
  const bytes = readFileSync(file);
  // An ASCII bundle (esbuild escapes strings) decodes as Latin-1, ~3× faster than as UTF-8.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const hash = bundleHash(bytes);
  const header = headerOf(hash);
  const cachedData = cachedDataFor(cacheFile, header);
  const script = new Script(wrapped(source), { filename: file, cachedData });
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    hash,
    cache,
    save() {
      if (cache === 'used') return;
      const tmp = `${cacheFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(header), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    },
  };
}
