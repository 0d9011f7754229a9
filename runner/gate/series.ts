// The change of a gate as a patch series: patch files, a folder of them, or an mbox as
// `git format-patch --stdout` or `b4 am` writes it (split into its patches, in order).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { VmaspecError } from '../errors.js';
import type { SeriesPatch } from '../kernel/series.js';

/**
 * The mbox `From ` line that starts each message: `From <sha> Mon Sep 17 00:00:00 2001`
 * (git format-patch) or `From git@z Thu Jan  1 00:00:00 1970` (b4 am): a sender without
 * spaces and an asctime date, so a commit message line that starts with "From " is not one.
 */
const MBOX_FROM = /^From \S+ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}$/m;

/** The patches of an mbox, in order; a file with no such line is one patch. */
export function splitMbox(text: string, label: string): SeriesPatch[] {
  const starts: number[] = [];
  const re = new RegExp(MBOX_FROM.source, 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index);
  if (starts.length <= 1) return [{ label, text: Buffer.from(text) }];
  return starts.map((start, i) => {
    const body = text.slice(start, starts[i + 1] ?? text.length);
    const subject = /^Subject: (.*)$/m.exec(body)?.[1]?.trim();
    return { label: `${label} [${i + 1}/${starts.length}]${subject ? ` ${subject}` : ''}`, text: Buffer.from(body) };
  });
}

/** Patch files of a folder: `*.patch`, `*.diff`, `*.mbox`, b4's `*.mbx`, sorted by name (format-patch numbers them). */
const PATCH_FILE = /\.(patch|diff|mbox|mbx)$/;

/** The series the paths describe, in order: each a patch file, an mbox or a folder of them. */
export async function readChangeSeries(paths: string[]): Promise<SeriesPatch[]> {
  const out: SeriesPatch[] = [];
  for (const p of paths) {
    const full = resolve(p);
    const st = await stat(full).catch((cause: unknown) => {
      throw new VmaspecError('E_USAGE', `--series: cannot read ${p}`, { cause });
    });
    const files = st.isDirectory() ? (await readdir(full)).filter((f) => PATCH_FILE.test(f)).sort().map((f) => join(full, f)) : [full];
    if (st.isDirectory() && files.length === 0) throw new VmaspecError('E_USAGE', `--series: ${p} holds no *.patch, *.diff, *.mbox or *.mbx files`);
    for (const f of files) out.push(...splitMbox(await readFile(f, 'utf8'), f));
  }
  return out;
}
