// A spare worker of the command server (docs/serve.md): a process that has loaded
// the CLI and parked a guest, waiting for one command. The daemon hands it a
// client's connection; it takes on the client's arguments, environment, working
// directory and terminal, runs the command as `main` would in a process of its own
// (standard output and error go back as frames, signals come in as frames), sends
// the exit status and exits. One command per process: nothing of one command is
// left for the next.
import { writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { StopSignal } from '../util/signals.js';
import { STOP_SIGNALS } from '../util/signals.js';
import { dropParked } from '../qemu/parked.js';
import { frame, frameReader, type ServeRequest } from './frames.js';

/** What the worker tells the daemon over IPC. */
export type WorkerMessage = { kind: 'ready' } | { kind: 'parked'; what: string };

/** What the daemon sends a worker, with the client's connection. */
export interface WorkerCommand {
  kind: 'conn';
  request: ServeRequest;
}

/** Signals the client forwards (`S` frames) reach the command as if sent to this process. */
function forwardSignals(socket: Socket): void {
  socket.on(
    'data',
    frameReader((f) => {
      const name = f.payload.toString('utf8');
      if (f.type === 'S' && (STOP_SIGNALS as readonly string[]).includes(name)) process.emit(name as StopSignal, name as StopSignal);
    }),
  );
  socket.resume();
}

/** Makes this process the client's: its environment and working directory (throws when that directory is gone). */
function takeOn(request: ServeRequest): void {
  const root = process.env.VMASPEC_REPO_ROOT;
  for (const name of Object.keys(process.env)) if (!(name in request.env)) delete process.env[name];
  Object.assign(process.env, request.env, root ? { VMASPEC_REPO_ROOT: root } : {});
  process.chdir(request.cwd);
}

/** Standard output and error become frames on the client's socket, with the client's terminal facts. */
function redirectOutput(request: ServeRequest, socket: Socket): void {
  const redirect = (stream: NodeJS.WriteStream, type: string, tty: boolean): void => {
    stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), done?: (e?: Error | null) => void): boolean => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk);
      socket.write(frame(type, bytes));
      (typeof encoding === 'function' ? encoding : done)?.(null);
      return true;
    }) as typeof stream.write;
    Object.assign(stream, { isTTY: tty, columns: tty ? request.columns : undefined, rows: tty ? request.rows : undefined });
  };
  redirect(process.stdout, 'O', request.tty[1]);
  redirect(process.stderr, 'R', request.tty[2]);
}

/**
 * Runs as a spare worker: tells the daemon it is ready, parks a guest (`park`), and serves
 * the one connection the daemon sends with `run` (the CLI's main); then exits with its status.
 */
export function serveWorker(run: (argv: string[]) => Promise<number>, park: () => Promise<string>): void {
  const tell = (m: WorkerMessage): void => void process.send?.(m);
  let serving = false;
  // Settled once the parking has ended and removed what it used (its temp folder): the worker exits after it.
  const parked = park().then(
    (what) => tell({ kind: 'parked', what }),
    (error: unknown) => tell({ kind: 'parked', what: `nothing (${error instanceof Error ? error.message : String(error)})` }),
  );
  process.on('message', (message: Partial<WorkerCommand>, handle: unknown) => {
    if (message.kind !== 'conn' || !message.request || serving || !handle) return;
    serving = true;
    process.off('SIGTERM', leave); // the command's own handling of SIGTERM (runner/util/signals.ts) from now on
    void serve(handle as Socket, message.request, run, parked);
  });
  // The daemon gone or stopping: so is this spare, and its guest with what it holds (a console file, snapshot links).
  const leave = (): void => {
    if (!serving) void dropParked().then(() => parked).finally(() => process.exit(0));
  };
  process.on('disconnect', leave);
  process.on('SIGTERM', leave);
  tell({ kind: 'ready' });
}

async function serve(socket: Socket, request: ServeRequest, run: (argv: string[]) => Promise<number>, parked: Promise<void>): Promise<void> {
  let sent = false;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  // process.exit inside the command (a second Ctrl-C) still tells the client its status.
  process.on('exit', (code) => {
    if (!sent && fd !== undefined && fd >= 0) {
      try {
        writeSync(fd, frame('X', String(code)));
      } catch {
        // the client is gone
      }
    }
  });
  socket.on('error', () => undefined);
  forwardSignals(socket);
  // A guest still being restored or warmed would only share the CPU with the command.
  void dropParked(true);
  redirectOutput(request, socket);
  let status: number;
  try {
    takeOn(request);
    // main reports its own errors; what reaches here is the client's directory gone, or a bug.
    status = await run(request.argv);
  } catch (error) {
    process.stderr.write(`vmaspec: the command server could not run the command: ${error instanceof Error ? error.message : String(error)}\n`);
    status = 2;
  }
  await dropParked();
  await parked;
  sent = true;
  socket.end(frame('X', String(status)), () => process.exit(status));
}
