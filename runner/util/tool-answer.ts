// What a host tool says of itself (`gcc --version`, `dpkg-query -W …`), kept in the cache
// under the identity of every file the answer depends on: the program as found on PATH, and
// any others the caller names (the programs it runs, dpkg's database). A file's identity is
// its path, size, modification and change times, inode and device (through symlinks), so a
// run whose keys are all cached spawns nothing, and any change to one of them asks again.
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { VmaspecError } from '../errors.js';
import { contentKey } from '../kernel/cache.js';
import type { Logger } from '../log.js';
import { run } from './exec.js';
import { writeFileAtomic } from './atomic.js';
import { fileIdentity } from './file-identity.js';

/** A question to a host tool; `files` and `programs` are what else its answer depends on. */
export interface ToolQuestion {
  command: string;
  args: string[];
  /** Files the answer also depends on (dpkg's database for dpkg-query). */
  files?: string[];
  /** Programs on PATH the answer also depends on (the gcc musl-gcc runs). */
  programs?: string[];
}

/** The executable file `command` names: itself when it has a slash, else the first on PATH; null when there is none. */
export async function onPath(command: string, path = process.env.PATH ?? ''): Promise<string | null> {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).filter(isAbsolute).map((dir) => join(dir, command));
  for (const file of candidates) {
    const executable = await access(file, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable && (await stat(file).catch(() => null))?.isFile()) return file;
  }
  return null;
}

/** The key of a question: the command line, and the identity of each file its answer depends on; null when the program is not on PATH. */
export async function questionKey(question: ToolQuestion): Promise<string | null> {
  const program = await onPath(question.command);
  if (!program) return null;
  const programs = await Promise.all((question.programs ?? []).map(async (p) => (await onPath(p)) ?? `${p} (not on PATH)`));
  const files = [program, ...programs, ...(question.files ?? [])];
  const ids = await Promise.all(files.map(async (f) => fileIdentity(f, await stat(f).catch(() => null))));
  return contentKey([question.command, ...question.args, '\0', ...ids]);
}

/**
 * The tool's answer: from `<cacheDir>/tools` when its key is there, else `ask()` (which runs
 * it and throws the caller's error when it fails), kept for next time unless `keep` is false
 * (`vmaspec kernel key` writes nothing). A failed answer is not kept; a program not on PATH is
 * asked (its error is the caller's).
 */
export async function toolAnswer(cacheDir: string, question: ToolQuestion, ask: () => Promise<string>, keep = true): Promise<string> {
  const key = await questionKey(question);
  if (!key) return ask();
  return keptAnswer(join(cacheDir, 'tools'), key, ask, { keep });
}

/**
 * The answer kept in `dir` under `key` (a key over everything the answer depends on), else
 * `compute()`'s, kept there for next time unless `keep` is false. A kept answer that is not
 * `valid` (damaged) is computed and kept again.
 */
export async function keptAnswer(dir: string, key: string, compute: () => Promise<string>, options: { keep?: boolean; valid?: (answer: string) => boolean } = {}): Promise<string> {
  const file = join(dir, key);
  const kept = await readFile(file, 'utf8').catch(() => null);
  if (kept !== null && (options.valid?.(kept) ?? true)) return kept;
  const answer = await compute();
  if (options.keep === false) return answer;
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(file, answer);
  return answer;
}

/**
 * The first line of `<command> --version`, kept as toolAnswer() keeps it (under `programs`' identity
 * too); E_TOOL_MISSING naming the Debian package that has it when it cannot run.
 */
export async function toolVersion(cacheDir: string, tool: { command: string; programs?: string[]; debianPackage: string }, log: Logger, keep = true): Promise<string> {
  const question = { command: tool.command, args: ['--version'], ...(tool.programs ? { programs: tool.programs } : {}) };
  return toolAnswer(
    cacheDir,
    question,
    async () => {
      try {
        return (await run(question.command, question.args, { log })).split('\n')[0] ?? '';
      } catch (cause) {
        throw new VmaspecError('E_TOOL_MISSING', `${tool.command} is not installed`, { cause, details: [`install it: apt-get install ${tool.debianPackage}`] });
      }
    },
    keep,
  );
}
