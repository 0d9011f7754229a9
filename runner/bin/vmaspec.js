#!/usr/bin/env node
// The `vmaspec` command. It runs the TypeScript CLI as one CommonJS bundle built by
// esbuild and kept in the cache under a hash of runner/**/*.ts (names, sizes,
// modification times) and the lock file, compiled from V8's code cache kept beside
// it (./code-cache.mjs), so a start costs ~0.1 s instead of the ~0.7 s that loading
// ~130 modules through tsx's loader took; any edit to a source makes a new bundle
// (~0.3 s, once). Without esbuild it falls back to tsx.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const KEEP_BUNDLES = 4;
/** Beside a bundle: its code cache. */
const CODE = '.code';
process.env.VMASPEC_REPO_ROOT ??= root;
// Every relative path (cases, --artifacts, --json) starts from the working directory, and
// esbuild and tsx need it too: removed after the shell entered it, say so instead of a stack
// trace (or tsx waiting forever).
try {
  process.cwd();
} catch {
  process.stderr.write('vmaspec: E_USAGE: the working directory no longer exists (it was removed after the shell entered it): cd to one that does\n');
  process.exit(2);
}

/** vmaspec's cache (runner/kernel/cache.ts defaultCacheDir). */
const cacheDir = () => process.env.VMASPEC_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vmaspec');

/** Every .ts file under dir, sorted, as paths relative to it (a walk: readdirSync's `recursive` took ~12 ms, this ~2). */
function sources(dir, rel = '') {
  const found = [];
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...sources(dir, path));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return rel ? found : found.sort();
}

async function bundled() {
  const runner = join(root, 'runner');
  const hash = createHash('sha256');
  // Like make: a source's size and modification time stand for its content (reading them all took ~30 ms).
  for (const f of sources(runner)) {
    const st = statSync(join(runner, f));
    hash.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
  }
  if (existsSync(join(root, 'package-lock.json'))) hash.update(readFileSync(join(root, 'package-lock.json')));
  hash.update(readFileSync(fileURLToPath(import.meta.url))); // the build's options
  const cache = cacheDir();
  const file = join(cache, 'cli', `${hash.digest('hex').slice(0, 16)}.cjs`);
  if (!existsSync(file)) {
    const { build } = await import('esbuild');
    mkdirSync(join(cache, 'cli'), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await build({
      entryPoints: [join(runner, 'cli.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      // CommonJS, for vm.Script and its code cache (import.meta is empty: runner/qemu/arch.ts reads VMASPEC_REPO_ROOT, set above).
      format: 'cjs',
      target: 'node20',
      // No comments: a smaller file to read and hash at every start.
      minifyWhitespace: true,
      logLevel: 'error',
    });
    renameSync(tmp, file);
    // Keep the newest few bundles (other checkouts may share the cache).
    const old = readdirSync(join(cache, 'cli'))
      .filter((f) => /\.[cm]js$/.test(f))
      .map((f) => ({ path: join(cache, 'cli', f), at: statSync(join(cache, 'cli', f)).mtimeMs }))
      .sort((a, b) => b.at - a.at)
      .slice(KEEP_BUNDLES);
    for (const { path } of old) for (const f of [path, `${path}${CODE}`]) rmSync(f, { force: true });
  }
  return file;
}

let file;
try {
  file = await bundled();
} catch (error) {
  process.stderr.write(`vmaspec: could not bundle the CLI with esbuild (${error instanceof Error ? error.message : error}); running it through tsx\n`);
}
const argv = process.argv.slice(2);
/** The command server's own starts (docs/serve.md): its daemon, and its workers. */
const role = argv[0] === '__serve-daemon' || argv[0] === '__serve-worker' ? argv[0] : null;
if (file) {
  const cli = loadBundle(file, `${file}${CODE}`);
  if (role === '__serve-worker') cli.exports.serveWorkerMain(cli.hash);
  else if (role === '__serve-daemon') process.exit(await cli.exports.serveDaemonMain(bundled));
  else {
    process.exitCode = await cli.exports.main(argv, cli.hash);
    try {
      cli.save();
    } catch (error) {
      process.stderr.write(`vmaspec: could not keep the code cache of ${file}: ${error instanceof Error ? error.message : error}\n`);
    }
    startServer();
  }
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli.ts');
  process.exitCode = await main(argv);
}

/**
 * After an interactive command, starts the command server when the client found none
 * (VMASPEC_SERVE_START) or has never been compiled, so that the next `./vmaspec` is fast;
 * never in CI, with VMASPEC_SERVE=0, or for `serve` itself (docs/serve.md).
 */
function startServer() {
  const env = process.env;
  if (!process.stdout.isTTY || env.CI || env.VMASPEC_SERVE === '0' || argv[0] === 'serve' || argv.includes('--help') || argv.includes('-h')) return;
  const client = join(cacheDir(), 'serve', 'client');
  if (env.VMASPEC_SERVE_START !== '1' && existsSync(client)) return;
  spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], { detached: true, stdio: 'ignore', env: { ...env, VMASPEC_SERVE_START: '' } }).unref();
}
