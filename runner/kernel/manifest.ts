// What a cached kernel must look like to be used: a manifest of its files (size, mtime,
// sha256), written last, and a vmlinux whose ELF headers fit in the file. A truncated or
// overwritten entry is found on use (stat and 4 KB of reads; a hash only when a file's
// size or mtime moved) and rebuilt, never booted.
import { createHash } from 'node:crypto';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The manifest file of a cache entry (it was a bare timestamp before manifests). */
export const MANIFEST = '.vmaspec-built';

interface Entry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

/** Writes the manifest of `files` (relative to `dir`); the entry counts as complete once it exists. */
export async function writeManifest(dir: string, files: string[]): Promise<void> {
  const entries: Record<string, Entry> = {};
  for (const f of files) {
    const st = await stat(join(dir, f));
    entries[f] = { size: st.size, mtimeMs: st.mtimeMs, sha256: await sha256(join(dir, f)) };
  }
  await writeFile(join(dir, MANIFEST), `${JSON.stringify({ written: new Date().toISOString(), files: entries }, null, 1)}\n`);
}

/** Why the ELF file at `path` cannot be whole (its headers point past its end); null when it can. */
export async function elfProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r').catch(() => null);
  if (!file) return `${path} is missing`;
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(64);
    const { bytesRead } = await file.read(head, 0, 64, 0);
    if (bytesRead < 52 || head.readUInt32BE(0) !== 0x7f454c46) return `${path} is not an ELF file (${size} bytes)`;
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (o: number): number => (le ? head.readUInt16LE(o) : head.readUInt16BE(o));
    const word = (b: Buffer, o: number): number => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const [phoff, shoff] = is64 ? [word(head, 0x20), word(head, 0x28)] : [word(head, 0x1c), word(head, 0x20)];
    const [phent, phnum, shent, shnum] = is64 ? [u16(0x36), u16(0x38), u16(0x3a), u16(0x3c)] : [u16(0x2a), u16(0x2c), u16(0x2e), u16(0x30)];
    const need = Math.max(phoff + phent * phnum, shoff + shent * shnum);
    if (need > size) return `${path} is truncated: its ELF headers need ${need} bytes, it has ${size}`;
    // Each loadable segment's bytes must be in the file too.
    const phdrs = Buffer.alloc(phent * phnum);
    await file.read(phdrs, 0, phdrs.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const at = i * phent;
      const [offset, filesz] = is64 ? [word(phdrs, at + 8), word(phdrs, at + 32)] : [word(phdrs, at + 4), word(phdrs, at + 16)];
      if (offset + filesz > size) return `${path} is truncated: segment ${i} ends at ${offset + filesz}, the file at ${size}`;
    }
    return null;
  } finally {
    await file.close();
  }
}

/** Why the cache entry in `dir` cannot be used (a file missing, changed, or a damaged vmlinux); null when it is whole. */
export async function entryProblem(dir: string): Promise<string | null> {
  const text = await readFile(join(dir, MANIFEST), 'utf8').catch(() => null);
  if (text === null) return 'it was never completed';
  let files: Record<string, Entry> = {};
  try {
    files = (JSON.parse(text) as { files: Record<string, Entry> }).files;
  } catch {
    // An entry from before manifests: only its vmlinux can be checked.
  }
  for (const [f, want] of Object.entries(files)) {
    const st = await stat(join(dir, f)).catch(() => null);
    if (!st) return `${f} is missing`;
    if (st.size !== want.size) return `${f} has ${st.size} bytes, ${want.size} were kept`;
    if (st.mtimeMs !== want.mtimeMs && (await sha256(join(dir, f))) !== want.sha256) return `${f} changed since it was kept`;
  }
  return elfProblem(join(dir, 'vmlinux'));
}
