// The host's per-case watchdog: the guest must end each case within the case's own
// budget after its `T <i> begin` record, begin the next case (or say `D`) soon after
// an end, and send its first record within the boot allowance. When a budget runs
// out the guest is declared hung and `onExpire` kills it; the cases left re-boot.

export interface WatchdogBudget {
  /** Until the first `T … begin` (kernel boot and supervisor start). */
  bootMs: number;
  /** From `T <i> begin` to its end record: the case's timeout plus the supervisor's kill path and slack. */
  caseMs: (index: number) => number;
  /** From an end record to the next begin or `D`, and from `D` to QEMU's exit. */
  gapMs: number;
}

export interface Expiry {
  /** The case that was running, or null between cases. */
  index: number | null;
  reason: string;
}

export class CaseWatchdog {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private fired: Expiry | null = null;

  constructor(
    private readonly budget: WatchdogBudget,
    private readonly onExpire: (e: Expiry) => void,
  ) {}

  /** Arms the boot allowance. */
  start(): void {
    this.arm(this.budget.bootMs, { index: null, reason: `the guest sent no case record within ${secs(this.budget.bootMs)} of starting` });
  }

  /** Feeds one line of the result stream. */
  line(text: string): void {
    const begin = /^T (\d+) begin /.exec(text);
    if (begin) {
      const index = Number(begin[1]);
      const ms = this.budget.caseMs(index);
      this.arm(ms, { index, reason: `the host watchdog stopped the guest: case ${index} sent no end record within ${secs(ms)} of its begin (its timeout, the supervisor's kill path and slack): the guest hung` });
      return;
    }
    const end = /^T (\d+) end /.exec(text);
    if (end || text === 'D') {
      this.arm(this.budget.gapMs, { index: null, reason: `the guest went silent for ${secs(this.budget.gapMs)} after ${end ? `case ${end[1]} ended` : 'its last case'}` });
    }
  }

  /** What fired, if anything. */
  expired(): Expiry | null {
    return this.fired;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number, expiry: Expiry): void {
    this.stop();
    if (this.fired) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fired = expiry;
      this.onExpire(expiry);
    }, ms);
  }
}

const secs = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
