// A `newc` cpio archive writer: the initramfs format the kernel unpacks.
// Pure and deterministic (fixed mtime, inode numbers in order).

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, size: number, rdevMajor: number, rdevMinor: number, nameSize: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return ['070701', hex8(ino), hex8(mode), hex8(0), hex8(0), hex8(mode & S_IFDIR ? 2 : 1), hex8(0), hex8(size), hex8(0), hex8(0), hex8(rdevMajor), hex8(rdevMinor), hex8(nameSize), hex8(0)].join('');
}

function record(ino: number, path: string, mode: number, data: Uint8Array, rdev: [number, number]): Buffer {
  const name = Buffer.from(`${path}\0`);
  const head = Buffer.from(header(ino, mode, data.length, rdev[0], rdev[1], name.length));
  return Buffer.concat([head, name, Buffer.alloc(pad4(head.length + name.length)), data, Buffer.alloc(pad4(data.length))]);
}

/** The archive bytes for these entries, in the order given, with the trailer. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts = entries.map((entry, i) => {
    const ino = i + 1;
    switch (entry.type) {
      case 'dir':
        return record(ino, entry.path, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array(), [0, 0]);
      case 'file':
        return record(ino, entry.path, S_IFREG | (entry.mode ?? 0o644), entry.data, [0, 0]);
      case 'chardev':
        return record(ino, entry.path, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(), [entry.major, entry.minor]);
    }
  });
  parts.push(record(0, 'TRAILER!!!', 0, new Uint8Array(), [0, 0]));
  return Buffer.concat(parts);
}
