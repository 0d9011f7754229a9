// The kernel log of a case on the host, as `K` records (docs/protocol.md, "Kernel log of a
// case"): a reader of /dev/kmsg that only reads. Unlike the guest's supervisor it writes no
// `vmaspec: case <i> begin/end` marks (a run on the host leaves nothing in the machine's
// log), and the log is the machine's: what it holds during a case may come from anything
// else running then.
import { closeSync, constants, openSync, readSync } from 'node:fs';

/** The note a case on the host gets when the kernel reported something during it. */
export const HOST_LOG_NOTE = "the running kernel's log is the machine's: a report during the case may come from anything else running then";

/** K records per case at most (c-helpers/init.c, KMSG_CASE_MAX); the rest are counted. */
export const KMSG_CASE_MAX = 4000;
/** A read of /dev/kmsg must fit one whole record (c-helpers/init.c, KMSG_RECORD_MAX). */
const RECORD_MAX = 8192;

/** One /dev/kmsg record (`prio,seq,usec,flags;text\n KEY=value…`) as a K record, or null when it is not one. */
export function kmsgRecord(raw: string): string | null {
  const semi = raw.indexOf(';');
  const m = /^([0-9]+),([0-9]+),([0-9]+)(?:,|$)/.exec(raw.slice(0, Math.max(semi, 0)));
  if (semi < 0 || !m) return null;
  const text = raw.slice(semi + 1).split('\n')[0]!;
  return `K ${m[2]} ${Number(m[1]) & 7} ${m[3]} ${text}`;
}

/** Reads /dev/kmsg from where it stands; every call takes the records logged since the last. */
export class KmsgReader {
  private readonly buf = Buffer.alloc(RECORD_MAX);

  private constructor(private readonly fd: number) {}

  /** A reader positioned after the last record now; the reason when /dev/kmsg cannot be read. */
  static open(path = '/dev/kmsg'): KmsgReader | { error: string } {
    try {
      const reader = new KmsgReader(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
      reader.skip();
      return reader;
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  /** Calls `visit` for every record logged since the last read (`overrun` where records were lost before they could be read). */
  private read(visit: (record: string | 'overrun') => void): void {
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') visit('overrun');
        if (code === 'EPIPE' || code === 'EINTR') continue;
        return; // EAGAIN: nothing more
      }
      if (n <= 0) return;
      const rec = kmsgRecord(this.buf.toString('utf8', 0, n));
      if (rec !== null) visit(rec);
    }
  }

  /** The K records of what was logged since the last call: at most `limit`, then `K dropped <n>`; `K overrun` where records were lost. */
  take(limit = KMSG_CASE_MAX): string[] {
    const out: string[] = [];
    let sent = 0;
    let dropped = 0;
    this.read((rec) => {
      if (rec === 'overrun') out.push('K overrun');
      else if (sent < limit) {
        out.push(rec);
        sent++;
      } else dropped++;
    });
    if (dropped > 0) out.push(`K dropped ${dropped}`);
    return out;
  }

  /** Discards what was logged since the last call: the next take() starts now. */
  skip(): void {
    this.read(() => undefined);
  }

  close(): void {
    closeSync(this.fd);
  }
}
