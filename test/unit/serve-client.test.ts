// The command server's C client (runner/serve/client.c, docs/serve.md) against a
// test server speaking the wire format: what the request carries, output and exit
// status passed back (a large output cut anywhere), the falls back to a direct
// `node runner/bin/vmaspec.js` (F, no server, VMASPEC_SERVE=0, an argument `-`, a
// socket path too long), signals passed on as `S`, and a worker that went away.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SOURCE = fileURLToPath(new URL('../../runner/serve/client.c', import.meta.url));

interface Frame {
  type: string;
  payload: Buffer;
}

/** FNV-1a 64 of a string's UTF-8 bytes, 16 lowercase hex digits (docs/serve.md: the socket's id). */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

function frame(type: string, payload: Buffer | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head.write(type, 0, 1, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Calls onFrame for each whole frame of a stream, however it was cut. */
function frameReader(onFrame: (f: Frame) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      const end = 5 + pending.readUInt32BE(1);
      onFrame({ type: pending.toString('latin1', 0, 1), payload: Buffer.from(pending.subarray(5, end)) });
      pending = pending.subarray(end);
    }
  };
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let base = '';
let client = '';
/** The fake checkout: its runner/bin/vmaspec.js prints `direct:` and what it was given. */
let root = '';
let cache = '';
let socketPath = '';
/** Where the client runs (its `C` frame). */
let work = '';

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'vmaspec-client-')));
  client = join(base, 'client');
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', client, SOURCE]);
  root = join(base, 'check out');
  mkdirSync(join(root, 'runner', 'bin'), { recursive: true });
  writeFileSync(
    join(root, 'runner', 'bin', 'vmaspec.js'),
    "process.stdout.write('direct:' + JSON.stringify({ argv: process.argv.slice(2), start: process.env.VMASPEC_SERVE_START ?? null }) + '\\n');\n",
  );
  cache = join(base, 'cache');
  mkdirSync(join(cache, 'serve'), { recursive: true });
  socketPath = join(cache, 'serve', `${fnv1a64(root)}.sock`);
  work = join(base, 'work');
  mkdirSync(work);
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

/** The client's environment: only these entries, in this order. */
function clientEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: base,
    VMASPEC_CACHE: cache,
    VMASPEC_TEST_VAR: 'a=b c',
    ...extra,
  };
}

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Starts the client with `args` (after the checkout), piped, from `work`. */
function start(args: string[], env = clientEnv()): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(client, [root, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
  return { child, done };
}

/** A test server on the checkout's socket: `onFrame` for each client frame, with that connection's socket and its frames so far. */
async function listen(onFrame: (f: Frame, socket: Socket, got: Frame[]) => void): Promise<{ connections: Frame[][]; close: () => Promise<void> }> {
  const connections: Frame[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const got: Frame[] = [];
    connections.push(got);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on(
      'data',
      frameReader((f) => {
        got.push(f);
        onFrame(f, socket, got);
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return {
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const direct = (argv: string[], start: string | null): string => `direct:${JSON.stringify({ argv, start })}\n`;

describe('the id of a checkout', () => {
  it('is FNV-1a 64 (known values)', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });
});

describe('the client, a server answering', () => {
  it('sends args, environment, directory and terminal, then G; writes O and R in order (1 MB cut anywhere) and exits with X', async () => {
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) % 251;
    const reply = [
      frame('O', 'out-1\n'),
      frame('R', 'err-1\n'),
      // The 1 MB in four frames of uneven sizes.
      frame('O', big.subarray(0, 100_000)),
      frame('O', big.subarray(100_000, 400_001)),
      frame('O', big.subarray(400_001, 1_000_000)),
      frame('O', big.subarray(1_000_000)),
      frame('R', 'err-2\n'),
      frame('O', 'out-2\n'),
      frame('X', '3'),
    ];
    const bytes = Buffer.concat(reply);
    const server = await listen((f, socket) => {
      if (f.type !== 'G') return;
      void (async () => {
        // Cut inside the first header, then every 70,001 bytes (through headers and payloads), a pause at each cut.
        const cuts = [3];
        for (let at = 3 + 70_001; at < bytes.length; at += 70_001) cuts.push(at);
        cuts.push(bytes.length);
        let from = 0;
        for (const to of cuts) {
          socket.write(bytes.subarray(from, to));
          from = to;
          await delay(3);
        }
      })();
    });
    try {
      const env = clientEnv();
      const args = ['run', 'cases/a b', '--flag=1', ''];
      const r = await start(args, env).done;
      expect(server.connections.length).toBe(1);
      const got = server.connections[0]!;
      const text = (type: string): string[] => got.filter((f) => f.type === type).map((f) => f.payload.toString());
      expect(got.map((f) => f.type).join('')).toBe(`${'A'.repeat(args.length)}${'E'.repeat(Object.keys(env).length)}CTG`);
      expect(text('A')).toEqual(args);
      expect(text('E')).toEqual(Object.entries(env).map(([k, v]) => `${k}=${v}`));
      expect(text('E')).toContain('VMASPEC_TEST_VAR=a=b c');
      expect(text('C')).toEqual([work]);
      expect(text('T')).toEqual(['0 0 0 0 0']);
      expect(got.at(-1)!.payload.length).toBe(0);
      expect(r.stderr).toBe('err-1\nerr-2\n');
      expect(r.stdout.length).toBe(6 + big.length + 6);
      expect(r.stdout.subarray(0, 6).toString()).toBe('out-1\n');
      expect(r.stdout.subarray(6, 6 + big.length).equals(big)).toBe(true);
      expect(r.stdout.subarray(6 + big.length).toString()).toBe('out-2\n');
      expect(r).toMatchObject({ code: 3, signal: null });
    } finally {
      await server.close();
    }
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('passes %s on as S after G and exits with the X that follows', async (name) => {
    let child: ChildProcess | null = null;
    const signals: string[] = [];
    const server = await listen((f, socket) => {
      if (f.type === 'G') child!.kill(name);
      if (f.type === 'S') {
        signals.push(f.payload.toString());
        socket.end(frame('X', '130'));
      }
    });
    try {
      const started = start(['run']);
      child = started.child;
      const r = await started.done;
      expect(signals).toEqual([name]);
      expect(r).toMatchObject({ code: 130, signal: null, stderr: '' });
      expect(r.stdout.length).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('dies of a signal passed on before an F rather than running the command itself', async () => {
    let child: ChildProcess | null = null;
    const server = await listen((f, socket) => {
      if (f.type === 'G') child!.kill('SIGINT');
      if (f.type === 'S') socket.end(frame('F', 'sources changed'));
    });
    try {
      const started = start(['run']);
      child = started.child;
      const r = await started.done;
      expect(r).toMatchObject({ code: null, signal: 'SIGINT', stderr: '' });
      expect(r.stdout.toString()).toBe('');
    } finally {
      await server.close();
    }
  });

  it('says the worker went away and exits 2 when the connection ends without X', async () => {
    const server = await listen((f, socket) => {
      if (f.type === 'G') socket.end(frame('O', 'partial\n'));
    });
    try {
      const r = await start(['run', 'x']).done;
      expect(r).toMatchObject({ code: 2, signal: null });
      expect(r.stdout.toString()).toBe('partial\n');
      expect(r.stderr).toBe(
        `vmaspec: the command server's worker went away before the command ended (see ${cache}/serve/${fnv1a64(root)}.log); ` +
          'its results are lost: run the command again, or with VMASPEC_SERVE=0\n',
      );
    } finally {
      await server.close();
    }
  });
});

describe('the client running the command itself', () => {
  it('an X that is no exit status (empty, text, out of range) exits 2 and says so: never a pass', async () => {
    for (const bad of ['', 'ok', '0x', '256', '-1']) {
      const server = await listen((f, socket) => {
        if (f.type === 'G') socket.end(Buffer.concat([frame('O', 'PASS\n'), frame('X', bad)]));
      });
      try {
        const r = await start(['run']).done;
        expect(r.code, bad).toBe(2);
        expect(r.stdout.toString()).toBe('PASS\n');
        expect(r.stderr).toMatch(/sent no exit status .*its results are unknown/);
      } finally {
        await server.close();
      }
    }
  });

  it('on F: the same arguments, no VMASPEC_SERVE_START; the reason on stderr only with VMASPEC_SERVE_DEBUG', async () => {
    const server = await listen((f, socket) => {
      if (f.type === 'G') socket.end(frame('F', 'sources changed'));
    });
    try {
      const quiet = await start(['run', '--x', 'a b']).done;
      expect(quiet).toMatchObject({ code: 0, signal: null, stderr: '' });
      expect(quiet.stdout.toString()).toBe(direct(['run', '--x', 'a b'], null));
      const told = await start(['check'], clientEnv({ VMASPEC_SERVE_DEBUG: '1' })).done;
      expect(told).toMatchObject({ code: 0, stderr: 'vmaspec: the command server runs no command now: sources changed\n' });
      expect(told.stdout.toString()).toBe(direct(['check'], null));
      expect(server.connections.map((got) => got.at(-1)?.type)).toEqual(['G', 'G']);
    } finally {
      await server.close();
    }
  });

  it('without a server (no socket, or a file nobody listens on): with VMASPEC_SERVE_START=1', async () => {
    rmSync(socketPath, { force: true });
    const none = await start(['run', 'cases/merge']).done;
    expect(none).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(none.stdout.toString()).toBe(direct(['run', 'cases/merge'], '1'));
    writeFileSync(socketPath, '');
    try {
      const stale = await start(['check']).done;
      expect(stale.stdout.toString()).toBe(direct(['check'], '1'));
    } finally {
      rmSync(socketPath, { force: true });
    }
  });

  it('with VMASPEC_SERVE=0, an argument "-", or a socket path too long: without asking the server, without VMASPEC_SERVE_START', async () => {
    const server = await listen((f, socket) => {
      if (f.type === 'G') socket.end(frame('X', '7'));
    });
    try {
      const off = await start(['run', 'x'], clientEnv({ VMASPEC_SERVE: '0' })).done;
      expect(off).toMatchObject({ code: 0, stderr: '' });
      expect(off.stdout.toString()).toBe(direct(['run', 'x'], null));
      const stdin = await start(['run', '--cases', '-']).done;
      expect(stdin).toMatchObject({ code: 0, stderr: '' });
      expect(stdin.stdout.toString()).toBe(direct(['run', '--cases', '-'], null));
      const long = await start(['run'], clientEnv({ VMASPEC_CACHE: `/nonexistent/${'d'.repeat(120)}` })).done;
      expect(long).toMatchObject({ code: 0, stderr: '' });
      expect(long.stdout.toString()).toBe(direct(['run'], null));
      expect(server.connections).toEqual([]);
      // The same server does answer a plain command: the falls back above were the client's choice.
      expect((await start(['run']).done).code).toBe(7);
    } finally {
      await server.close();
    }
  });
});
