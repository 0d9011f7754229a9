// The splat scanner and the attribution of console lines to cases, on real logs of the
// health fixtures (test/fixtures/health/logs/, captured from runs of the default kernel:
// test/fixtures/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributeLines } from '../../runner/health/attribute.js';
import { consoleLines, kmsgLines, unescapeKmsg, type LogLine } from '../../runner/health/log.js';
import { matchLine, reportTitle, scanReports } from '../../runner/health/scan.js';
import { casesByIndex, parseResultStream } from '../../runner/results/stream.js';

const logs = join(import.meta.dirname, '..', 'fixtures', 'health', 'logs');
const read = (f: string): string => readFileSync(join(logs, f), 'latin1');
const byCase = (f: string): Map<number, LogLine[]> => attributeLines(consoleLines(read(f))).cases;
const titles = (lines: readonly LogLine[] | undefined): string[] => scanReports(lines ?? []).map((r) => `${r.kind}: ${r.title}`);

describe('attribution of the console to cases by the supervisor marks', () => {
  it('splits a boot into its cases; the case the guest died in runs to the end of the log', () => {
    const { cases, outside } = attributeLines(consoleLines(read('fast/console-1.log')));
    expect([...cases.keys()]).toEqual([0, 1, 2, 3]);
    expect(outside.some((l) => /Linux version 6\.12/.test(l.text))).toBe(true);
    expect(cases.get(0)).toEqual([]);
    expect(cases.get(1)!.some((l) => l.text.startsWith('WARNING: CPU: 0 PID: '))).toBe(true);
    expect(cases.get(2)).toEqual([]);
    expect(cases.get(3)!.some((l) => /^Kernel panic - not syncing: Fatal exception/.test(l.text))).toBe(true);
    // panic=-1: the guest reboots at once, the panic's own end line never comes.
    expect(cases.get(3)!.at(-1)!.text).toBe('Kernel Offset: disabled');
    expect(outside.some((l) => /WARNING|BUG/.test(l.text))).toBe(false);
  });
});

describe('scanReports on the LKDTM fixtures', () => {
  it('WARNING: one report, titled by file:line and function, ending at its end-trace line', () => {
    const reports = scanReports(byCase('fast/console-1.log').get(1)!);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.kind).toBe('warning');
    expect(reports[0]!.title).toBe('WARNING: at drivers/misc/lkdtm/bugs.c:112 lkdtm_WARNING');
    expect(reports[0]!.lines.at(-1)).toMatch(/---\[ end trace 0000000000000000 \]---$/);
  });

  it('BUG(): the Oops and the panic it causes join the `kernel BUG at` report', () => {
    const reports = scanReports(byCase('fast/console-1.log').get(3)!);
    expect(reports.map((r) => `${r.kind}: ${r.title}`)).toEqual(['bug: kernel BUG at drivers/misc/lkdtm/bugs.c:105!']);
    expect(reports[0]!.lines.some((l) => l.includes('Oops: invalid opcode: 0000 [#1]'))).toBe(true);
    expect(reports[0]!.lines.at(-1)).toMatch(/Kernel panic - not syncing: Fatal exception/);
  });

  it('EXCEPTION: a NULL dereference is an oops, without the address in its title', () => {
    expect(titles(byCase('fast/console-2.log').get(5))).toEqual(['oops: BUG: kernel NULL pointer dereference']);
  });

  it('REFCOUNT_DEC_ZERO: the refcount_t line leads, its WARNING joins it', () => {
    const cases = byCase('fast/console-3.log');
    expect(titles(cases.get(7))).toEqual(['refcount: refcount_t: decrement hit 0; leaking memory.']);
    expect(titles(cases.get(6))).toEqual([]);
    expect(titles(cases.get(8))).toEqual([]);
    expect(titles(cases.get(9))).toEqual(['panic: Kernel panic - not syncing: dumptest']);
  });

  it('HUNG_TASK: the detector repeats its report every check; pid and seconds leave the title', () => {
    const t = titles(byCase('hang/console-1.log').get(1));
    expect(t.length).toBeGreaterThanOrEqual(2);
    expect(new Set(t)).toEqual(new Set(['hung-task: INFO: task 1 blocked for more than N seconds']));
  });

  it('SOFTLOCKUP: `watchdog: ` is not part of the title, nor the pid', () => {
    expect(titles(byCase('hang/console-2.log').get(3))).toContain('soft-lockup: BUG: soft lockup - CPU#0 stuck for Ns! [3]');
  });

  it('the K records of a case give the same reports as its console lines', () => {
    const stream = casesByIndex(parseResultStream(read('fast/results-1.txt')));
    const warning = stream.get(1)!;
    expect(warning.kmsg!.length).toBeGreaterThan(10);
    expect(titles(kmsgLines(warning.kmsg!))).toEqual(titles(byCase('fast/console-1.log').get(1)));
    expect(stream.get(0)!.kmsg ?? []).toEqual([]);
    // The case the guest died in has no K records: the console is the only copy.
    expect(stream.get(3)!.end).toBeNull();
    expect(stream.get(3)!.kmsg).toBeUndefined();
  });
});

describe('what is not a report', () => {
  it('fail_nth fault injection (a real case of cases/fault/) logs FAULT_INJECTION on purpose: no report', () => {
    const lines = consoleLines(read('fail-nth-console.log'));
    expect(lines.some((l) => l.text.includes('FAULT_INJECTION: forcing a failure'))).toBe(true);
    expect(scanReports(lines)).toEqual([]);
  });

  it("a probe's segfault: the kernel's note on it is in the case's log, and is no report", () => {
    const lines = byCase('fast/console-4.log').get(11)!;
    expect(lines.some((l) => /^11\[\d+\]: segfault at 0 ip /.test(l.text))).toBe(true);
    expect(scanReports(lines)).toEqual([]);
  });

  it('the specific formats win over the generic BUG:/WARNING:, and a plain line matches nothing', () => {
    expect(matchLine('WARNING: possible circular locking dependency detected')?.pattern.kind).toBe('lockdep');
    expect(matchLine('BUG: KASAN: slab-use-after-free in vma_merge+0x1a/0x2b0')?.pattern.kind).toBe('kasan');
    expect(matchLine('BUG: Bad rss-counter state mm:00000000 type:MM_ANONPAGES val:1 Comm:x Pid:3')?.pattern.kind).toBe('mm');
    expect(matchLine('BUG: sleeping function called from invalid context at mm/mmap.c:12')?.pattern.kind).toBe('atomic-sleep');
    expect(matchLine('lkdtm: Performing direct entry WARNING')).toBeNull();
    // A user process's fatal signal is the probe's fault, not a kernel report.
    expect(matchLine('traps: 5[19] general protection fault ip:401000 sp:7ffc0 error:0 in 5[401000+1000]')).toBeNull();
    expect(matchLine('5[19]: segfault at 0 ip 0000000000401000 sp 00007ffc0 error 6 in 5[401000+1000]')).toBeNull();
    expect(matchLine('Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1]')?.pattern.kind).toBe('oops');
    expect(reportTitle('BUG: KASAN: slab-use-after-free in vma_merge+0x1a/0x2b0')).toBe('BUG: KASAN: slab-use-after-free in vma_merge');
    expect(reportTitle('list_add corruption. prev->next should be next (ffff888003a4b010), but was 0000000000000000. (prev=ffff888003a4b000).')).toBe(
      'list_add corruption. prev->next should be next (…), but was …. (prev=…).',
    );
  });

  it('unescapes /dev/kmsg text', () => {
    expect(unescapeKmsg('a\\x0ab\\x5cc')).toBe('a\nb\\c');
  });
});
