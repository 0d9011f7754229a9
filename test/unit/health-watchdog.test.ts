// The host's per-case watchdog (runner/health/watchdog.ts): each case gets its own budget
// from its begin record, so a hang early in a boot is caught after that case's budget.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CaseWatchdog, type Expiry } from '../../runner/health/watchdog.js';

describe('CaseWatchdog', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const make = (): { dog: CaseWatchdog; fired: Expiry[] } => {
    const fired: Expiry[] = [];
    const dog = new CaseWatchdog({ bootMs: 60_000, caseMs: (i) => (i === 1 ? 20_000 : 5_000), gapMs: 10_000 }, (e) => fired.push(e));
    return { dog, fired };
  };

  it('fires for the running case after its own budget, not the sum of all', () => {
    const { dog, fired } = make();
    dog.start();
    vi.advanceTimersByTime(1_500);
    dog.line('vmaspec-results 1');
    dog.line('T 0 begin 0');
    vi.advanceTimersByTime(4_999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.index).toBe(0);
    expect(fired[0]!.reason).toMatch(/case 0 sent no end record within 5 s/);
    expect(dog.expired()).toEqual(fired[0]);
  });

  it('re-arms at each record: a boot of slow cases that all end in time never fires', () => {
    const { dog, fired } = make();
    dog.start();
    for (let i = 0; i < 10; i++) {
      dog.line(`T ${i} begin 0`);
      vi.advanceTimersByTime(i === 1 ? 19_000 : 4_000);
      dog.line(`T ${i} end exit:0 0 4000000`);
      vi.advanceTimersByTime(500);
    }
    dog.line('D');
    dog.stop();
    vi.advanceTimersByTime(600_000);
    expect(fired).toEqual([]);
  });

  it('fires between cases and before the first one with index null', () => {
    const a = make();
    a.dog.start();
    vi.advanceTimersByTime(60_000);
    expect(a.fired[0]).toMatchObject({ index: null });
    const b = make();
    b.dog.start();
    b.dog.line('T 3 begin 0');
    b.dog.line('T 3 end exit:0 0 10');
    vi.advanceTimersByTime(10_000);
    expect(b.fired[0]).toMatchObject({ index: null, reason: expect.stringMatching(/after case 3 ended/) });
  });
});
