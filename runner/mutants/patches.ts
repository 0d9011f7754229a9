// The mutant patches of mutants/: a header comment (what it breaks, which
// kernel-behaviour key) followed by a unified diff for `patch -p1`.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { VmaspecError } from '../errors.js';

export interface Mutant {
  /** The file name without `.patch`, e.g. `length-limit-81`. */
  name: string;
  path: string;
  /** The header comment, lines joined with spaces. */
  description: string;
  /** Kernel-behaviour keys the header names after `Breaks:` (R3, S5 …). */
  keys: string[];
  /** Source files the diff touches, relative to the tree root. */
  files: string[];
}

const KEY = /\b(?:R|S|F|K|A|MF|Q|PM|PG)\d+b?\b/g;

/** Parses one patch; throws when it has no header comment or touches no file. */
export function parseMutant(path: string, text: string): Mutant {
  const name = basename(path).replace(/\.patch$/, '');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('--- ') || l.startsWith('diff '));
  const header = (start < 0 ? lines : lines.slice(0, start)).map((l) => l.trim()).filter(Boolean);
  const files = [...new Set(lines.filter((l) => l.startsWith('+++ ')).map((l) => l.slice(4).split('\t')[0]!.trim().replace(/^[^/]+\//, '')))];
  if (header.length === 0) throw new VmaspecError('E_USAGE', `mutant ${path} has no header comment (what it breaks, which key)`);
  if (files.length === 0) throw new VmaspecError('E_USAGE', `mutant ${path} is not a unified diff (no +++ line)`);
  const description = header.join(' ');
  // The keys come from the `Breaks:` line to the end of the header.
  const from = header.findIndex((l) => /^Breaks:/i.test(l));
  const keys = from < 0 ? [] : [...new Set(header.slice(from).join(' ').match(KEY) ?? [])];
  return { name, path, description, keys, files };
}

/** Orders mutant names (plain code-unit order, the same everywhere). */
export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The mutants to run: every `*.patch` of `dir` (sorted), or only those named (by name or path). */
export async function loadMutants(dir: string, only: string[] = []): Promise<Mutant[]> {
  const all = (await readdir(dir)).filter((f) => f.endsWith('.patch')).map((f) => f.replace(/\.patch$/, '')).sort(byName);
  const wanted = only.map((o) => basename(o).replace(/\.patch$/, ''));
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length > 0) throw new VmaspecError('E_USAGE', `no such mutant in ${dir}: ${unknown.join(', ')}`, { details: [`known: ${all.join(', ')}`] });
  const chosen = wanted.length > 0 ? all.filter((n) => wanted.includes(n)) : all;
  return Promise.all(chosen.map(async (n) => parseMutant(resolve(join(dir, `${n}.patch`)), await readFile(join(dir, `${n}.patch`), 'utf8'))));
}
