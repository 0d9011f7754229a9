// runner/util/signals.ts: the exit status of a run a signal ended.
import { describe, expect, it } from 'vitest';
import { signalExit, STOP_SIGNALS } from '../../runner/util/signals.js';

describe('signalExit', () => {
  it('is 128 + the signal number: 130 SIGINT, 143 SIGTERM, 129 SIGHUP', () => {
    expect(STOP_SIGNALS.map((s) => [s, signalExit(s)])).toEqual([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]);
  });
});
