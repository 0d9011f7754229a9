// The command server's wire format (docs/serve.md): frames of a type byte, a
// 4-byte big-endian length and the payload, both ways on one Unix connection.

/** One frame: its type (one ASCII letter) and payload. */
export interface Frame {
  type: string;
  payload: Buffer;
}

/** The bytes of one frame. */
export function frame(type: string, payload: Buffer | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(5);
  head.write(type, 0, 1, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** A reader of a byte stream that calls `onFrame` for each whole frame, however the stream was cut into chunks (joined once a frame is whole). */
export function frameReader(onFrame: (f: Frame) => void): (chunk: Buffer) => void {
  let chunks: Buffer[] = [];
  let have = 0;
  /** Bytes the next frame needs in all: its header, then its header and payload. */
  let need = 5;
  return (chunk) => {
    chunks.push(chunk);
    have += chunk.length;
    while (have >= need) {
      let pending = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks = [pending];
      if (need === 5) need = 5 + pending.readUInt32BE(1);
      if (have < need) break;
      onFrame({ type: pending.toString('latin1', 0, 1), payload: pending.subarray(5, need) });
      pending = pending.subarray(need);
      chunks = pending.length > 0 ? [pending] : [];
      have = pending.length;
      need = 5;
    }
  };
}

/** A command as the client sent it (`A`, `E`, `C`, `T` frames up to `G`). */
export interface ServeRequest {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Whether fds 0, 1, 2 of the client are terminals. */
  tty: [boolean, boolean, boolean];
  columns: number;
  rows: number;
}

/** Adds a client frame to the request being read; true at `G` (the request is whole). */
export function addToRequest(request: ServeRequest, f: Frame): boolean {
  const text = f.payload.toString('utf8');
  switch (f.type) {
    case 'A':
      request.argv.push(text);
      break;
    case 'E': {
      const eq = text.indexOf('=');
      if (eq > 0) request.env[text.slice(0, eq)] = text.slice(eq + 1);
      break;
    }
    case 'C':
      request.cwd = text;
      break;
    case 'T': {
      const [t0, t1, t2, columns, rows] = text.split(' ').map(Number);
      request.tty = [t0 === 1, t1 === 1, t2 === 1];
      request.columns = columns ?? 0;
      request.rows = rows ?? 0;
      break;
    }
    case 'G':
      return true;
  }
  return false;
}

export const emptyRequest = (): ServeRequest => ({ argv: [], env: {}, cwd: '/', tty: [false, false, false], columns: 0, rows: 0 });

/** FNV-1a, 64 bits, of a checkout's path: its socket's name (the client computes the same: runner/serve/client.c). */
export function checkoutId(root: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(root, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
