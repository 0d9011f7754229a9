// The kernel reports the scanner recognises, as data: the first pattern that matches a
// log line starts a report (or joins the open one, see `follows`). Formats are the
// kernel's own (6.12): mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c,
// kernel/locking/lockdep.c, kernel/hung_task.c, kernel/watchdog.c,
// kernel/rcu/tree_stall.h, mm/memory.c, mm/page_alloc.c, kernel/fork.c, mm/debug.c,
// lib/refcount.c, arch/x86/kernel/dumpstack.c, arch/x86/mm/fault.c, kernel/panic.c.

/** What kind of kernel report. */
export type ReportKind =
  | 'kasan'
  | 'kfence'
  | 'kmsan'
  | 'ubsan'
  | 'lockdep'
  | 'atomic-sleep'
  | 'refcount'
  | 'mm'
  | 'hung-task'
  | 'soft-lockup'
  | 'rcu-stall'
  | 'oops'
  | 'bug'
  | 'warning'
  | 'panic';

export const REPORT_KINDS: readonly ReportKind[] = ['kasan', 'kfence', 'kmsan', 'ubsan', 'lockdep', 'atomic-sleep', 'refcount', 'mm', 'hung-task', 'soft-lockup', 'rcu-stall', 'oops', 'bug', 'warning', 'panic'];

/** Reports that mean the kernel stopped a task or a CPU for good: a case that has one did not finish by itself. */
export const HANG_KINDS: readonly ReportKind[] = ['hung-task', 'soft-lockup', 'rcu-stall'];

export interface ReportPattern {
  kind: ReportKind;
  /** Matched against one log line without its timestamp; the title starts where the match starts. */
  match: RegExp;
  /**
   * The line belongs to the open report when that report has shown no backtrace yet
   * (`refcount_t: …` is followed by its `WARNING: CPU: …`, `kernel BUG at` by `Oops: …`);
   * a `panic` line joins the last report whatever its state (it is that report's consequence).
   */
  follows?: boolean;
}

/** First match wins: the specific formats come before the generic `BUG:` / `WARNING:`. */
export const REPORT_PATTERNS: readonly ReportPattern[] = [
  { kind: 'kasan', match: /BUG: KASAN: / },
  { kind: 'kfence', match: /BUG: KFENCE: / },
  { kind: 'kmsan', match: /BUG: KMSAN: / },
  { kind: 'ubsan', match: /UBSAN: \S/ },
  { kind: 'lockdep', match: /WARNING: possible circular locking dependency detected/ },
  { kind: 'lockdep', match: /WARNING: possible recursive locking detected/ },
  { kind: 'lockdep', match: /WARNING: inconsistent lock state/ },
  { kind: 'lockdep', match: /WARNING: possible irq lock inversion dependency detected/ },
  { kind: 'lockdep', match: /WARNING: \S+-safe -> \S+-unsafe lock order detected/ },
  { kind: 'lockdep', match: /WARNING: bad unlock balance detected!/ },
  { kind: 'lockdep', match: /WARNING: held lock freed!/ },
  { kind: 'lockdep', match: /WARNING: lock held when returning to user space!/ },
  { kind: 'lockdep', match: /WARNING: \S+ still has locks held!/ },
  { kind: 'lockdep', match: /WARNING: suspicious RCU usage/ },
  { kind: 'lockdep', match: /WARNING: Nested lock was not taken/ },
  { kind: 'lockdep', match: /BUG: MAX_LOCKDEP_\w+ too low!/ },
  { kind: 'lockdep', match: /DEBUG_LOCKS_WARN_ON\(/ },
  { kind: 'atomic-sleep', match: /BUG: sleeping function called from invalid context/ },
  { kind: 'atomic-sleep', match: /BUG: scheduling while atomic/ },
  { kind: 'refcount', match: /refcount_t: \S/ },
  { kind: 'mm', match: /BUG: Bad page map/ },
  { kind: 'mm', match: /BUG: Bad page state/ },
  { kind: 'mm', match: /BUG: Bad rss-counter state/ },
  { kind: 'mm', match: /BUG: non-zero pgtables_bytes/ },
  // VM_BUG_ON_PAGE/_FOLIO/_VMA/_MM: a dump, then `kernel BUG at …` joins it.
  { kind: 'mm', match: /page dumped because: / },
  { kind: 'mm', match: /^vma [0-9a-f]+ start [0-9a-f]+ end [0-9a-f]+/ },
  { kind: 'mm', match: /^mm [0-9a-f]+ task_size \d+/ },
  { kind: 'mm', match: /list_(?:add|del) corruption/ },
  { kind: 'hung-task', match: /INFO: task \S+ blocked for more than \d+ seconds/ },
  { kind: 'soft-lockup', match: /BUG: soft lockup - CPU#\d+ stuck/ },
  { kind: 'soft-lockup', match: /Watchdog detected hard LOCKUP/ },
  { kind: 'soft-lockup', match: /BUG: workqueue lockup/ },
  { kind: 'rcu-stall', match: /INFO: \S+ (?:self-)?detected stalls? / },
  { kind: 'oops', match: /BUG: kernel NULL pointer dereference/ },
  { kind: 'oops', match: /BUG: unable to handle page fault/ },
  // The kernel's own (x86 die_addr: `Oops: general protection fault, probably for non-canonical address …`);
  // a user process's is `traps: comm[pid] general protection fault ip:…`, not a kernel report.
  { kind: 'oops', match: /^Oops: general protection fault/ },
  { kind: 'bug', match: /kernel BUG at \S/, follows: true },
  { kind: 'oops', match: /^Oops: /, follows: true },
  { kind: 'bug', match: /BUG: \S/ },
  { kind: 'warning', match: /WARNING: CPU: \d+ PID: \d+ at /, follows: true },
  { kind: 'warning', match: /WARNING: \S/ },
  { kind: 'panic', match: /Kernel panic - not syncing: /, follows: true },
];

/**
 * Lines that look like a report but are none: our own fault injection (`fail_nth:`) logs on
 * purpose, and the kernel's notes on a user process's fatal signal (show_unhandled_signals:
 * `comm[pid]: segfault at …`, `traps: comm[pid] general protection fault ip:…`) are the
 * probe's fault, judged by its exit status.
 */
export const NOT_REPORTS: readonly RegExp[] = [/FAULT_INJECTION: forcing a failure/, /^\S+\[\d+\]: segfault at [0-9a-f]+ ip /, /^traps: \S+\[\d+\] /];

/** A line that shows the report reached its backtrace: later `follows` lines start a report of their own. */
export const TRACE_LINE = /^(?:Call Trace:|RIP: |<TASK>|Hardware name: |CPU: \d+ UID: \d+ PID: \d+)/;

/** A line that ends a report. */
export const END_LINE = /^---\[ end (?:trace|Kernel panic)|^={40,}$/;

/** Title clean-ups, in order: what varies from run to run (pids, offsets, addresses, seconds) goes. */
export const TITLE_REWRITES: readonly [RegExp, string][] = [
  [/WARNING: CPU: \d+ PID: \d+ at /, 'WARNING: at '],
  [/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, ''],
  [/\b(task \S+?):\d+ blocked for more than \d+ seconds\.?/, '$1 blocked for more than N seconds'],
  [/stuck for \d+s! \[(\S+?):\d+\]/, 'stuck for Ns! [$1]'],
  [/,? address: [0-9a-f]+$/, ''],
  [/ \[#\d+\].*$/, ''],
  // Kernel pointers (%px, hashed %p) in list corruption, rss-counter … reports.
  [/\b(?:0x)?[0-9a-f]{16}\b/g, '…'],
  [/\s+$/, ''],
];
