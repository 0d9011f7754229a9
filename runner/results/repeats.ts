// Repeats on the guest's result channel (docs/protocol.md, "Repeats"): the supervisor
// (c-helpers/init.c `emit_records()`) sends an observation record whose text it already sent in
// the same case as `= <step> <id>`, and a run of them with ids one after another as
// `= <step> <id> <count>`. On a UART the channel is the guest's bottleneck under TCG (about
// 10 ms per KB; the virtio console costs far less), and smaps, PROCMAP_QUERY and map_files
// repeat most of their lines. This module
// turns the channel's lines back into the stream of docs/protocol.md, before anything reads it.

/** The records that may be sent as repeats, their longest text (after the step) that gets an id, and the most ids of one case: as init.c defines them. */
export const REPEAT_LETTERS = 'AUQLPM';
export const REPEAT_MAX_TEXT = 240;
export const REPEAT_MAX_IDS = 8192;

const ELIGIBLE = /^([A-Z]) ([^ ]+) ([^]*)$/;
const REPEAT = /^= ([^ ]+) (0|[1-9][0-9]*)(?: ([1-9][0-9]*))?$/;
const BEGIN = /^T \d+ begin /;

/** A decoder of one guest's channel: each line as the supervisor sent it in, the lines it stands for out (ids are per case). */
export function repeatDecoder(): (line: string) => string[] {
  let keys: string[] = [];
  let known = new Set<string>();
  return (line) => {
    if (BEGIN.test(line)) {
      keys = [];
      known = new Set();
      return [line];
    }
    const rep = REPEAT.exec(line);
    if (rep) {
      const first = Number(rep[2]);
      const run = keys.slice(first, first + Number(rep[3] ?? 1));
      // An id the guest never gave: left as it came, so the parser reports the line.
      if (run.length !== Number(rep[3] ?? 1)) return [line];
      return run.map((key) => `${key.slice(0, 2)}${rep[1]} ${key.slice(2)}`);
    }
    const m = ELIGIBLE.exec(line);
    if (m && REPEAT_LETTERS.includes(m[1]!) && m[3]!.length <= REPEAT_MAX_TEXT && keys.length < REPEAT_MAX_IDS) {
      const key = `${m[1]} ${m[3]}`;
      if (!known.has(key)) {
        known.add(key);
        keys.push(key);
      }
    }
    return [line];
  };
}
