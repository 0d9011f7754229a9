// A QMP client on QEMU's unix socket (docs: qemu "QMP specification"): one JSON
// object per line; commands answered in order; events are not needed here and dropped.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { VmaspecError } from '../errors.js';

type Message = { return?: unknown; error?: { class: string; desc: string }; event?: string; QMP?: unknown };

export class Qmp {
  private buffer = '';
  private readonly pending: { resolve: (v: unknown) => void; reject: (e: Error) => void; command: string }[] = [];
  private closed: Error | null = null;
  private readonly greeted: Promise<void>;
  private greet: { resolve: () => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly socket: Socket) {
    this.greeted = new Promise((resolve, reject) => (this.greet = { resolve, reject }));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const message = JSON.parse(line) as Message;
        if (message.QMP !== undefined) this.greet?.resolve();
        else if (message.event === undefined) this.answer(message);
      }
    });
    const close = (): void => this.fail(new VmaspecError('E_QMP', 'QEMU closed its monitor (it exited)'));
    socket.on('close', close);
    socket.on('error', close);
  }

  /** Connects to `path` (retrying while QEMU starts, until `timeoutMs` or `signal`), reads the greeting and leaves capability negotiation. */
  static async connect(path: string, timeoutMs: number, signal?: AbortSignal): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw new VmaspecError('E_QMP', `QEMU exited before its monitor at ${path} answered`);
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
        const qmp = new Qmp(socket);
        await qmp.greeted;
        await qmp.execute('qmp_capabilities');
        return qmp;
      } catch (cause) {
        if (Date.now() > deadline) throw new VmaspecError('E_QMP', `cannot reach QEMU's monitor at ${path}`, { cause });
        await sleep(5);
      }
    }
  }

  /** Runs a command; its `return`, or E_QMP with QEMU's description. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, command });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private answer(message: Message): void {
    const next = this.pending.shift();
    if (!next) return;
    if (message.error) next.reject(new VmaspecError('E_QMP', `${next.command}: ${message.error.desc}`));
    else next.resolve(message.return);
  }

  private fail(error: Error): void {
    this.closed ??= error;
    this.greet?.reject(this.closed);
    for (const p of this.pending.splice(0)) p.reject(this.closed);
  }
}
