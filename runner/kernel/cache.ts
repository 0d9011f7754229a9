// The cache directory and content keys.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `$VMASPEC_CACHE`, else `$XDG_CACHE_HOME/vmaspec`, else `~/.cache/vmaspec`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VMASPEC_CACHE) return env.VMASPEC_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'vmaspec');
}

/** The cache directory a command uses: `--cache-dir` (resolved) when given, else the default. */
export const cacheDirOf = (given: string | undefined): string => (given ? resolve(given) : defaultCacheDir());

/** What contentKey returns. */
export const CONTENT_KEY = /^[0-9a-f]{16}$/;

/** A short hex key over the given parts (order matters). */
export function contentKey(parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    hash.update(String(bytes.length)).update(':').update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}
