// Where the time of one boot goes: host clocks at QEMU's start, the supervisor's first
// line, the last case's end and QEMU's exit, plus the kernel's own clock (printk.time)
// at "Run /init" from the console.

/** One boot's time, split. Null where the boot never got there. */
export interface BootTiming {
  /** 1-based boot number (of its guest, when several run side by side). */
  boot: number;
  /** Which of the guests booted side by side (1-based); absent with one. */
  vm?: number;
  cases: number;
  /** QEMU spawned → the supervisor's header line: QEMU start-up plus the kernel's boot. */
  toInitMs: number | null;
  /** The kernel's clock at `Run /init` (its share of toInitMs; the rest is QEMU and firmware). */
  kernelToInitMs: number | null;
  /** The header line → the last case's end record. */
  casesMs: number | null;
  /** The last end record → QEMU's exit: the supervisor's power-off and QEMU's exit. */
  powerOffMs: number | null;
  /** QEMU spawned → QEMU exited. */
  totalMs: number;
  /** QEMU spawned → the boot's cases judged (what a person waits for). */
  toVerdictMs: number | null;
}

/** Collects the host side of a BootTiming from boot events, as they come. */
export class BootClock {
  private started: number | null = null;
  private header: number | null = null;
  private lastEnd: number | null = null;
  private exited: number | null = null;
  private judged: number | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** QEMU was spawned. */
  start(): void {
    this.started = this.now();
  }

  /** A line of the result stream arrived. */
  line(line: string): void {
    if (this.header === null && line.startsWith('vmaspec-results ')) this.header = this.now();
    if (/^T \d+ end /.test(line)) this.lastEnd = this.now();
  }

  /** QEMU exited. */
  exit(): void {
    this.exited = this.now();
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
      toInitMs: span(this.started, this.header),
      kernelToInitMs: kernelInitMs(consoleText),
      casesMs: span(this.header, this.lastEnd),
      powerOffMs: span(this.lastEnd, this.exited),
      totalMs: span(this.started, this.exited) ?? 0,
      toVerdictMs: span(this.started, this.judged),
    };
  }
}

/** The printk time of `Run /init as init process`, in ms; null when the console lacks it. */
export function kernelInitMs(consoleText: string): number | null {
  const m = /^\[\s*(\d+\.\d+)\] Run \/init as init process/m.exec(consoleText);
  return m ? Math.round(Number(m[1]) * 1000) : null;
}
