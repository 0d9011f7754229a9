// Parsed cases kept between runs. Parsing and validating a case file is a pure function of its
// text, where it is (its path and id, the working directory diagnostics are relative to) and the
// code that parses it; loading the 118 cases of the repository that way took ~400 ms of every
// whole-suite run. An entry is kept under a hash of all of these and holds them itself: it is
// used only when what it holds equals what is asked for, so a changed file, a moved checkout or
// another build of the CLI parses afresh, and a damaged entry is a miss, never a wrong case.
// Only valid cases are kept: a file with problems is parsed every time, for its diagnostics.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { writeFileAtomic } from '../util/atomic.js';
import type { Case } from './case.js';

const FORMAT = 'vmaspec-parsed-case/1';

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
 * A cache of parsed cases under `dir` for the code whose content hash is `code` (the CLI's
 * bundle, runner/bin/code-cache.mjs); entries of other code are never read.
 */
export function parseCache(dir: string, code: string): ParseCache {
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
      made ??= mkdir(dir, { recursive: true });
      await made;
      await writeFileAtomic(fileOf(id), serialize([id, parsed]));
    },
  };
}
