// The guest kernel's clock, as its console tells it. Under TCG on a busy host the x86
// kernel's TSC calibration against the PIT can fail (`tsc: Marking TSC unstable due to could
// not calculate TSC khz`; microvm has no HPET or PM timer to fall back on): the kernel then
// keeps time in jiffies, 4 ms steps at HZ=250, and every timing a case takes is that coarse
// (fork-cost's medians of ~60 ms forks). A snapshot of such a guest would hand its clock to
// every run that restores it, so none is saved (runner/qemu/boot.ts).

/** The clocksource the kernel last switched to (`clocksource: Switched to clocksource <name>`); null when its console never said. */
export function lastClocksource(console: string): string | null {
  let name: string | null = null;
  for (const m of console.matchAll(/clocksource: Switched to clocksource (\S+)/g)) name = m[1] ?? null;
  return name;
}

/** Whether that clocksource counts ticks (jiffies, refined-jiffies) instead of a fine-grained counter. */
export const ticksOnly = (clocksource: string | null): boolean => clocksource === 'jiffies' || clocksource === 'refined-jiffies';
