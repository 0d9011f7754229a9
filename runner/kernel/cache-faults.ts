// Writes into the cache that fail for want of space or permission become E_CACHE with
// what to do, whether they come from node (an errno) or from a tool (tar, cp, make, patch):
// by the errno, the tool's words, or (tar says only "Wrote only 8704 of 10240 bytes") the
// file system found full right after the failure.
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VmaspecError } from '../errors.js';

/** What each errno means here, and what the user can do about it. */
const FAULTS = {
  ENOSPC: { what: 'no space left on device', todo: 'free space' },
  EDQUOT: { what: 'disk quota exceeded', todo: 'free space' },
  EROFS: { what: 'read-only file system', todo: 'make it writable' },
  EACCES: { what: 'permission denied', todo: 'make it writable for this user' },
} as const;
type Fault = keyof typeof FAULTS;

/** How the tools print the same faults (strerror). */
const TEXTS: [RegExp, Fault][] = [
  [/No space left on device/, 'ENOSPC'],
  [/Disk quota exceeded/, 'EDQUOT'],
  [/Read-only file system/, 'EROFS'],
];

function faultOf(cause: unknown): Fault | null {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code && code in FAULTS) return code as Fault;
  const text = `${String((cause as { all?: unknown } | undefined)?.all ?? '')}\n${String((cause as Error | undefined)?.message ?? '')}`;
  return TEXTS.find(([re]) => re.test(text))?.[1] ?? null;
}

/** Less room than this (for this user) on the file system of a failed write: it failed for want of space. */
const FULL_BYTES = 1 << 20;

async function full(dir: string): Promise<boolean> {
  const fs = await statfs(dir).catch(() => null);
  return fs !== null && (fs.bavail * fs.bsize < FULL_BYTES || (fs.files > 0 && fs.ffree === 0));
}

/**
 * E_CACHE for a write under `dir` that failed for want of space or permission; null for any
 * other failure. Call it before removing what the failed write left (that frees the space).
 */
export async function cacheWriteError(cause: unknown, dir: string): Promise<VmaspecError | null> {
  if (cause instanceof VmaspecError && cause.code === 'E_CACHE') return cause;
  const fault = faultOf(cause) ?? ((await full(dir)) ? 'ENOSPC' : null);
  if (!fault) return null;
  const { what, todo } = FAULTS[fault];
  return new VmaspecError('E_CACHE', `${what} in ${dir}: ${todo}, or set --cache-dir (or VMASPEC_CACHE) to another directory`, { cause });
}

/** Fails with E_CACHE, before anything is built, when the cache directory cannot be written. */
export async function assertCacheWritable(cacheDir: string): Promise<void> {
  const probe = join(cacheDir, `.write-test-${process.pid}`);
  try {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(probe, '');
  } catch (cause) {
    throw (await cacheWriteError(cause, cacheDir)) ?? cause;
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}
