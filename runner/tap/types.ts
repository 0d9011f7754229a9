// The parsed form of TAP 13 / KTAP v1 output (Documentation/dev-tools/ktap.rst).

/** Directives this parser knows; any other word after `#` is plain diagnostic data. */
export type Directive = 'SKIP' | 'TODO' | 'XFAIL' | 'TIMEOUT' | 'ERROR';

export const DIRECTIVES: readonly Directive[] = ['SKIP', 'TODO', 'XFAIL', 'TIMEOUT', 'ERROR'];

/** One `ok` / `not ok` line. */
export interface TapResult {
  ok: boolean;
  /** The test number as written; null when the line has none (TAP allows that). */
  number: number | null;
  /** The description (the test's name), `\#` unescaped; "" when absent. */
  description: string;
  directive: Directive | null;
  /** What follows `#` (and the directive): the skip reason, or free diagnostic data. */
  reason: string;
  /**
   * Diagnostic (`# …`) and unknown lines printed before this result at its level
   * (KTAP's rule: a test's diagnostics come right before its result line), then
   * the lines of a TAP 13 YAML block (`---` … `...`) right after it.
   */
  diagnostics: string[];
  /** The nested results that ended with this line (an indented block before it). */
  subtests: TapDocument | null;
  /** 1-based line number in the output. */
  line: number;
}

/** `1..N`, with `# SKIP reason` when the whole document is skipped (`1..0 # SKIP …`). */
export interface TapPlan {
  count: number;
  skip: boolean;
  /** The text after `#` (without the SKIP word). */
  reason: string;
  line: number;
}

/** One level of results: the whole output, or a nested block of subtests. */
export interface TapDocument {
  /** `KTAP version 1`, `TAP version 13` …; null when the level has no version line. */
  version: string | null;
  plan: TapPlan | null;
  results: TapResult[];
  /** Diagnostic and unknown lines after the last result of this level. */
  trailing: string[];
  /** Leading spaces of this level's lines. */
  indent: number;
  /** 1-based line of the level's first line. */
  line: number;
}

/** Something wrong with the structure, e.g. a number out of sequence. */
export interface TapProblem {
  line: number;
  message: string;
}

/** A parsed output: the top-level results (nested ones inside them) and what went wrong. */
export interface TapOutput {
  /** False when no version, plan, result or `Bail out!` line was found: the output is not TAP. */
  found: boolean;
  root: TapDocument;
  /** `Bail out! <reason>`: the reason and its line. */
  bailOut: { reason: string; line: number } | null;
  /** Nested blocks whose parent result line never came (the probe stopped inside them). */
  unfinished: TapDocument[];
  problems: TapProblem[];
}
