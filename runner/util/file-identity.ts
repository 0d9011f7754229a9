// A file's identity without reading it: its path, size, modification and change times, inode and
// device. Any write changes the change time, which no one can set back (touch sets only the
// others), so an unchanged identity stands for unchanged content, as make assumes of mtimes.
import type { Stats } from 'node:fs';

/** The identity of `file` from its stat (through symlinks); `absent` when there is none. */
export const fileIdentity = (file: string, st: Stats | null): string => (st ? `${file}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\0${st.dev}` : `${file}\0absent`);
