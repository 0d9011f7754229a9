// The command server's daemon (docs/serve.md): one per checkout, listening on
// `<cache>/serve/<id>.sock`. It keeps one spare worker (runner/serve/worker.ts)
// and hands each client's command to it, with the connection; the next spare
// starts when no command runs, so it never shares the CPU with one. It answers
// `serve --status` and `serve --stop` itself, sends the client back to a direct
// start (`F`) when the CLI's sources changed since its spare loaded them, and
// exits after IDLE_MS without a command or when the checkout is gone.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, realpathSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { addToRequest, checkoutId, emptyRequest, frame, frameReader, type ServeRequest } from './frames.js';
import type { WorkerCommand, WorkerMessage } from './worker.js';

/** How long the daemon waits for a command before it exits. */
const IDLE_MS = 15 * 60_000;

/** Where the daemon of the checkout `root` listens and logs. */
export function servePaths(cacheDir: string, root: string): { socket: string; log: string; dir: string } {
  const dir = join(cacheDir, 'serve');
  // As the shell script gives it to the client: the real path, no trailing slash.
  const id = checkoutId(realpathSync(resolve(root)));
  return { dir, socket: join(dir, `${id}.sock`), log: join(dir, `${id}.log`) };
}

export interface DaemonOptions {
  root: string;
  cacheDir: string;
  /** The launcher (runner/bin/vmaspec.js): workers are `node <launcher> __serve-worker`. */
  launcher: string;
  /** The bundle the launcher would run now: a spare of another bundle is stale. */
  currentBundle: () => Promise<string>;
}

interface Worker {
  child: ChildProcess;
  bundle: string;
  ready: boolean;
  parked: string | null;
}

/** Sends `argv` as a command to the daemon at `socket`; its output and status, or null when no daemon answers. */
export function askDaemon(socket: string, argv: string[]): Promise<{ out: string; status: number } | null> {
  return new Promise((resolve) => {
    const conn = createConnection(socket);
    let out = '';
    let status: number | null = null;
    conn.on('connect', () => {
      conn.write(Buffer.concat([...argv.map((a) => frame('A', a)), frame('C', process.cwd()), frame('T', '0 0 0 0 0'), frame('G')]));
    });
    conn.on(
      'data',
      frameReader((f) => {
        if (f.type === 'O' || f.type === 'R') out += f.payload.toString('utf8');
        if (f.type === 'X') status = Number(f.payload.toString('utf8'));
        if (f.type === 'F') status = 2;
      }),
    );
    conn.on('error', () => resolve(null));
    conn.on('close', () => resolve(status === null ? null : { out, status }));
  });
}

/** Runs the daemon until it stops (`serve --stop`, idle, the checkout gone). */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const paths = servePaths(options.cacheDir, options.root);
  mkdirSync(paths.dir, { recursive: true });
  if (existsSync(paths.socket)) {
    if ((await askDaemon(paths.socket, ['serve', '--status'])) !== null) return 0; // one serves already
    rmSync(paths.socket, { force: true });
  }
  const logFd = openSync(paths.log, 'a');
  const say = (text: string): void => void process.stderr.write(`${new Date().toISOString()} ${text}\n`);
  let spare: Worker | null = null;
  const busy = new Set<ChildProcess>();
  const waiting: { socket: Socket; request: ServeRequest }[] = [];
  let stopping = false;
  let idle: NodeJS.Timeout;

  const spawnSpare = async (): Promise<void> => {
    const bundle = await options.currentBundle();
    const child = fork(options.launcher, ['__serve-worker'], { stdio: ['ignore', logFd, logFd, 'ipc'], env: process.env });
    const worker: Worker = { child, bundle, ready: false, parked: null };
    spare = worker;
    say(`worker ${child.pid}: starting`);
    child.on('message', (m: WorkerMessage) => {
      if (m.kind === 'parked') {
        worker.parked = m.what;
        say(`worker ${child.pid}: parked ${m.what}`);
      }
      if (m.kind === 'ready') {
        worker.ready = true;
        const next = waiting.shift();
        if (next) void hand(next.socket, next.request);
      }
    });
    child.on('exit', (code, signal) => {
      say(`worker ${child.pid}: exit ${code ?? signal}`);
      busy.delete(child);
      if (spare?.child === child) spare = null;
      if (!stopping && spare === null && (busy.size === 0 || waiting.length > 0)) void spawnSpare();
    });
  };

  let stopped: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  /** Stops serving: the spare goes, a running command finishes in its worker (which no longer waits for the daemon). */
  const stop = (): void => {
    stopping = true;
    clearTimeout(idle);
    server.close();
    rmSync(paths.socket, { force: true });
    spare?.child.kill('SIGTERM');
    for (const child of busy) child.disconnect();
    say('stopped');
    stopped();
  };
  const resetIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      if (busy.size === 0) stop();
      else resetIdle();
    }, IDLE_MS);
  };

  /** Gives the command to the spare (which becomes busy); a new spare starts for the next one once no command runs. */
  const hand = async (socket: Socket, request: ServeRequest): Promise<void> => {
    if (spare === null) await spawnSpare();
    const worker = spare!;
    if (worker.bundle !== (await options.currentBundle())) {
      socket.end(frame('F', "the CLI's sources changed since the server's worker loaded them; a new worker is starting"));
      spare = null;
      worker.child.kill('SIGTERM');
      return;
    }
    if (!worker.ready) {
      waiting.push({ socket, request });
      return;
    }
    spare = null;
    busy.add(worker.child);
    socket.pause();
    const command: WorkerCommand = { kind: 'conn', request };
    worker.child.send(command, socket);
  };

  const status = (): string =>
    `vmaspec: the command server of ${options.root} runs (pid ${process.pid}, socket ${paths.socket}, log ${paths.log}); ` +
    (spare ? `its spare worker is ${spare.ready ? 'ready' : 'starting'}${spare.parked ? `, parked: ${spare.parked}` : ''}` : 'a command is running') +
    `\n`;

  const server = createServer({ pauseOnConnect: true }, (socket) => {
    resetIdle();
    const request = emptyRequest();
    let whole = false;
    socket.on('error', () => undefined);
    socket.on(
      'data',
      frameReader((f) => {
        if (whole || !addToRequest(request, f)) return;
        whole = true;
        socket.removeAllListeners('data');
        const [command, flag] = request.argv;
        if (command === 'serve' && (flag === '--status' || flag === '--stop' || flag === undefined)) {
          socket.end(Buffer.concat([frame('O', flag === '--stop' ? `vmaspec: the command server of ${options.root} stops\n` : status()), frame('X', '0')]));
          if (flag === '--stop') stop();
          return;
        }
        void hand(socket, request);
      }),
    );
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(paths.socket, resolve);
  });
  say(`serving ${options.root} on ${paths.socket}`);
  resetIdle();
  // The checkout gone (moved, deleted): nothing to serve.
  const watch = setInterval(() => {
    if (!existsSync(options.launcher)) stop();
  }, 60_000);
  await spawnSpare();
  // Not the server's close: sockets handed to workers count as its connections until they end.
  await done;
  clearInterval(watch);
  return 0;
}
