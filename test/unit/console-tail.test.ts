// runner/qemu/console-tail.ts: the console lines a boot failure (E_BOOT) shows.
import { describe, expect, it } from 'vitest';
import { failureTail } from '../../runner/qemu/console-tail.js';

const stamp = (i: number): string => `[    ${(i / 100).toFixed(6)}]`;
/** A console: `before` ordinary lines, `line`, then `after` backtrace lines. */
const consoleWith = (line: string, before: number, after: number): string =>
  [...Array.from({ length: before }, (_, i) => `${stamp(i)} ordinary ${i}`), `${stamp(before)} ${line}`, ...Array.from({ length: after }, (_, i) => `${stamp(before + 1 + i)}  ? frame_${i}+0x1/0x2`), ''].join('\n');

describe('failureTail', () => {
  it('keeps the panic line when 30 lines of backtrace followed it', () => {
    const text = consoleWith('Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100', 5, 30);
    const tail = failureTail(text, 15);
    expect(tail[0]).toMatch(/Kernel panic - not syncing: Attempted to kill init!/);
    expect(tail[1]).toBe('…');
    expect(tail.slice(2)).toEqual(text.trimEnd().split('\n').slice(-15));
  });

  it('keeps the first Oops or BUG line, not a later one, and not an earlier WARNING', () => {
    const text = [`${stamp(0)} WARNING: CPU: 0 PID: 1 at mm/x.c:1 f+0x1/0x2`, consoleWith('BUG: kernel NULL pointer dereference, address: 0000000000000008', 2, 20), consoleWith('Kernel panic - not syncing: Fatal exception', 0, 20)].join('\n');
    expect(failureTail(text, 15)[0]).toMatch(/BUG: kernel NULL pointer dereference/);
    expect(failureTail(consoleWith('Oops: general protection fault, probably for non-canonical address', 3, 40), 15)[0]).toMatch(/Oops: general protection fault/);
  });

  it('is the plain tail when the fatal line is in it, or when there is none', () => {
    const inside = consoleWith('Kernel panic - not syncing: VFS: Unable to mount root fs', 40, 3);
    expect(failureTail(inside, 15)).toEqual(inside.trimEnd().split('\n').slice(-15));
    const none = consoleWith('Run /init as init process', 40, 30);
    expect(failureTail(none, 15)).toEqual(none.trimEnd().split('\n').slice(-15));
  });

  it('no ellipsis when the fatal line is right before the tail', () => {
    const text = consoleWith('Kernel panic - not syncing: x', 0, 15);
    expect(failureTail(text, 15)).toEqual(text.trimEnd().split('\n'));
  });
});
