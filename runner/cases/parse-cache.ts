// Parsed cases kept between runs. Parsing and validating a case file is a pure function of its
// text, where it is (its path and id, the working directory diagnostics are relative to) and the
// code that parses it; loading the 118 cases of the repository that way took ~400 ms of every
// whole-suite run. An entry is kept under a hash of all of these and holds them itself: it is
// used only when what it holds equals what is asked for, so a changed file, a moved checkout or
// another build of the CLI parses afresh, and a damaged entry is a miss, never a wrong case.
// Only valid cases are kept: a file with problems is parsed every time, for its diagnostics.
// Each build of the code has a folder of its own; the folders of all but the newest few builds
// go when a new one is made (each edit of the runner is a new build).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { writeFileAtomic } from '../util/atomic.js';
import type { Case } from './case.js';

const FORMAT = 'vmaspec-parsed-case/1';
/** The builds of the code whose parses are kept (as the CLI keeps its newest bundles). */
const KEEP_BUILDS = 4;

/** What a parse depends on besides the code: the file's text, its absolute path and id, and the working directory. */
export interface CaseSource {
  text: string;
  abs: string;
  id: string;
}

/** Parsed cases by their source, kept in a folder for one build of the code. */
export interface ParseCache {
  get(source: CaseSource): Promise<Case | undefined>;
  put(source: CaseSource, parsed: Case): Promise<void>;
}

/** The entry's identity: every input of the parse, the code's identity first. */
const identity = (code: string, s: CaseSource): string => JSON.stringify([FORMAT, code, process.cwd(), s.abs, s.id, createHash('sha256').update(s.text).digest('hex')]);

/**
 * A cache of parsed cases under `root` for the code whose content hash is `code` (the CLI's
 * bundle, runner/bin/code-cache.mjs); entries of other code are never read.
 */
export function parseCache(root: string, code: string): ParseCache {
  const dir = join(root, createHash('sha256').update(code).digest('hex').slice(0, 16));
  const fileOf = (id: string): string => join(dir, `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.v8`);
  let made: Promise<unknown> | null = null;
  return {
    async get(source) {
      const id = identity(code, source);
      try {
        const entry: unknown = deserialize(await readFile(fileOf(id)));
        if (Array.isArray(entry) && entry.length === 2 && entry[0] === id) return entry[1] as Case;
      } catch {
        // missing or damaged: parsed afresh and written again
      }
      return undefined;
    },
    async put(source, parsed) {
      const id = identity(code, source);
      made ??= mkdir(dir, { recursive: true }).then((created) => (created ? pruneBuilds(root) : undefined));
      await made;
      await writeFileAtomic(fileOf(id), serialize([id, parsed]));
    },
  };
}

/** Removes the folders of all but the newest KEEP_BUILDS builds under `root` (by modification time). */
async function pruneBuilds(root: string): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  const builds = await Promise.all(names.map(async (name) => ({ path: join(root, name), at: (await stat(join(root, name)).catch(() => null))?.mtimeMs ?? 0 })));
  builds.sort((a, b) => b.at - a.at);
  await Promise.all(builds.slice(KEEP_BUILDS).map((b) => rm(b.path, { recursive: true, force: true })));
}
