// Files written whole or not at all: through a temporary name unique to the call, then renamed
// into place, so a reader (another process, or another build of this one) sees a whole file or none.
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';

/** A temporary file's suffix, unique to the call: two runs of one process (explore's two kernels) may write the same file at once. */
export const tmpSuffix = (): string => `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Writes `data` to `path` through a temporary name beside it. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}${tmpSuffix()}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
