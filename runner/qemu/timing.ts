// Where the time of one boot goes: host clocks at QEMU's start, its monitor's
// answer, the guest's park (booted) or resumption (restored), the supervisor's
// first line, the last case's end and QEMU's exit, plus the kernel's own clock
// (printk.time) at "Run /init" from the console; and QEMU's peak memory.
import { readFileSync } from 'node:fs';
import type { BootEvent } from './boot.js';

/** One boot's time, split. Null where the boot never got there. */
export interface BootTiming {
  /** 1-based boot number (of its guest, when several run side by side). */
  boot: number;
  /** Which of the guests booted side by side (1-based); absent with one. */
  vm?: number;
  cases: number;
  /** The kernel booted, the guest was restored from a snapshot of a booted one, or a restored guest the command server had parked and warmed was taken (docs/serve.md). */
  start: 'boot' | 'restore' | 'parked';
  /** The process's clock (ms since it started, `performance.now()`) when QEMU was spawned: the host's work before QEMU. */
  spawnedAtMs: number;
  /** QEMU spawned → its monitor answered (QEMU's own start-up); null without a monitor. */
  monitorMs: number | null;
  /** QEMU spawned → the guest parked, ready for its cases: QEMU and the kernel's boot, or QEMU and the restore. */
  toReadyMs: number | null;
  /** Saving the snapshot at the park (the guest stood still meanwhile); null when none was saved. */
  saveMs: number | null;
  /** QEMU spawned → the supervisor's header line (sent once the cases are handed over). */
  toInitMs: number | null;
  /** The kernel's clock at `Run /init` (a boot only). */
  kernelToInitMs: number | null;
  /** The header line → the last case's end record. */
  casesMs: number | null;
  /** The last end record → QEMU's exit: the supervisor's power-off and QEMU's exit. */
  powerOffMs: number | null;
  /** QEMU spawned → QEMU exited. */
  totalMs: number;
  /** QEMU spawned → the boot's cases judged (what a person waits for). */
  toVerdictMs: number | null;
  /** QEMU's peak resident memory (VmHWM) at the last case's end record, MiB; null where not read. */
  peakRssMib: number | null;
}

/** A process's peak resident memory (VmHWM of /proc/PID/status), MiB; null when it is gone or unreadable. */
export function peakRssMib(pid: number): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return null;
  }
}

/** Collects the host side of a BootTiming from boot events, as they come. */
export class BootClock {
  private started: number | null = null;
  private monitor: number | null = null;
  private ready: number | null = null;
  private restored = false;
  private taken = false;
  private saveMs: number | null = null;
  private header: number | null = null;
  private lastEnd: number | null = null;
  private exited: number | null = null;
  private judged: number | null = null;
  private pid: number | null = null;
  private peakRss: number | null = null;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly readPeakRss: (pid: number) => number | null = peakRssMib,
  ) {}

  /** A boot event; a second `started` (a restore that failed, booted instead) starts the clock again. */
  on(event: BootEvent): void {
    const t = this.now();
    switch (event.kind) {
      case 'started':
        Object.assign(this, { started: t, monitor: null, ready: null, restored: false, taken: false, saveMs: null, header: null, lastEnd: null, exited: null, pid: event.pid, peakRss: null });
        break;
      case 'monitor':
        this.monitor ??= t;
        break;
      case 'parked':
        this.ready ??= t;
        break;
      case 'restored':
        this.ready ??= t;
        this.restored = true;
        this.taken = event.parked === true;
        break;
      case 'saved':
        this.saveMs = event.ms;
        break;
      case 'line':
        if (this.header === null && event.line.startsWith('vmaspec-results ')) this.header = t;
        if (/^T \d+ end /.test(event.line)) {
          this.lastEnd = t;
          if (this.pid !== null) this.peakRss = this.readPeakRss(this.pid) ?? this.peakRss;
        }
        break;
      case 'exited':
        this.exited = t;
        break;
    }
  }

  /** The boot's cases were judged. */
  verdict(): void {
    this.judged = this.now();
  }

  /** The timing of the boot, with the kernel's `Run /init` time read from its console. */
  timing(boot: number, cases: number, consoleText: string): BootTiming {
    const span = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.round(b - a));
    return {
      boot,
      cases,
      start: this.taken ? 'parked' : this.restored ? 'restore' : 'boot',
      spawnedAtMs: Math.round(this.started ?? 0),
      monitorMs: span(this.started, this.monitor),
      toReadyMs: span(this.started, this.ready),
      saveMs: this.saveMs,
      toInitMs: span(this.started, this.header),
      kernelToInitMs: this.restored ? null : kernelInitMs(consoleText),
      casesMs: span(this.header, this.lastEnd),
      powerOffMs: span(this.lastEnd, this.exited),
      totalMs: span(this.started, this.exited) ?? 0,
      toVerdictMs: span(this.started, this.judged),
      peakRssMib: this.peakRss,
    };
  }
}

/** The printk time of `Run /init as init process`, in ms; null when the console lacks it. */
export function kernelInitMs(consoleText: string): number | null {
  const m = /^\[\s*(\d+\.\d+)\] Run \/init as init process/m.exec(consoleText);
  return m ? Math.round(Number(m[1]) * 1000) : null;
}
