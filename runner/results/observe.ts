// The observation records of a step (docs/protocol.md: `A` smaps, `U` smaps_rollup,
// `Q` PROCMAP_QUERY, `L` map_files, `P` pagemap, `R` peek, `F` fail_nth fired), as the stream parser keeps them.

/** The record letters of the observation ops (and of `F`, written by a `name` op with fail_nth). */
export const OBS_LETTERS = ['A', 'U', 'Q', 'L', 'P', 'R', 'F'] as const;
export type ObsLetter = (typeof OBS_LETTERS)[number];

/** One observation record: its letter and the text after `<letter> <step> `, verbatim. */
export interface ObsLine {
  letter: ObsLetter;
  text: string;
}

/** The texts of the records of one letter, in stream order. */
export function obsTexts(obs: readonly ObsLine[] | undefined, letter: ObsLetter): string[] {
  return (obs ?? []).filter((o) => o.letter === letter).map((o) => o.text);
}

/** Lower-case hex → bytes (`-` is no bytes); null when it is not hex. */
export function hexBytes(s: string): Uint8Array | null {
  if (s === '-') return new Uint8Array();
  if (!/^([0-9a-f]{2})+$/.test(s)) return null;
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

/** Bytes as text, decoded as UTF-8 like the rest of the stream (names are printable ASCII: R4). */
export const bytesText = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** An observation record that does not have the documented form: a harness fault. */
export class ObservationError extends Error {
  constructor(
    readonly what: string,
    readonly text: string,
    reason: string,
  ) {
    super(`bad ${what} record (${reason}): ${JSON.stringify(text)}`);
    this.name = 'ObservationError';
  }
}
