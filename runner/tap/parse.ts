// Parser of TAP 13 / KTAP v1 output: version line, plan, ok / not ok with numbers and
// descriptions, `# SKIP` / `# TODO` / `# XFAIL` / `# TIMEOUT` / `# ERROR` directives,
// diagnostic lines, TAP 13 YAML blocks, nested subtests by indentation (KTAP: an
// indented version line; TAP 14: an indented plan or result) and `Bail out!`.
// Unknown lines never change a result (KTAP); they are kept as diagnostics.
import { DIRECTIVES, type Directive, type TapDocument, type TapOutput, type TapPlan, type TapProblem, type TapResult } from './types.js';

const VERSION = /^(?:KTAP|TAP) version \d+$/;
const PLAN = /^1\.\.(\d+)(?:\s*#\s*(.*))?$/;
const RESULT = /^(not ok|ok)(?=\s|$)(?:\s+(\d+)(?=\s|$))?(?:\s+-(?=\s|$))?\s*(.*)$/;
const BAIL = /^Bail out!\s*(.*)$/;
/** SKIP and TODO may be spelled longer (`# Skipped: …`, TAP 13); the others are whole words. */
const DIRECTIVE = /^(skip\w*|todo\w*|xfail|timeout|error)(?=[\s:]|$):?\s*(.*)$/i;

type Kind = 'version' | 'plan' | 'result' | 'bail' | 'diag' | 'yaml' | 'other';

interface Level {
  doc: TapDocument;
  /** Lines waiting for the next result of this level. */
  pending: string[];
  /** A nested block that ended and waits for its parent result line. */
  child: TapDocument | null;
}

function classify(content: string): Kind {
  if (VERSION.test(content)) return 'version';
  if (PLAN.test(content)) return 'plan';
  if (RESULT.test(content)) return 'result';
  if (BAIL.test(content)) return 'bail';
  if (content.startsWith('#')) return 'diag';
  if (content === '---') return 'yaml';
  return 'other';
}

/** Splits a result line's text after the number into description and `# directive reason`. */
function splitDirective(rest: string): { description: string; directive: Directive | null; reason: string } {
  const hash = /(?<!\\)#/.exec(rest);
  const description = (hash ? rest.slice(0, hash.index) : rest).trim().replace(/\\#/g, '#');
  if (!hash) return { description, directive: null, reason: '' };
  const after = rest.slice(hash.index + 1).trim();
  const d = DIRECTIVE.exec(after);
  if (!d) return { description, directive: null, reason: after };
  const word = (d[1] ?? '').toUpperCase();
  const directive = DIRECTIVES.find((k) => word.startsWith(k)) ?? null;
  return { description, directive, reason: (d[2] ?? '').trim() };
}

function parsePlan(content: string, line: number): TapPlan {
  const m = PLAN.exec(content);
  const text = (m?.[2] ?? '').trim();
  const skip = /^skip\w*:?(?:\s+(.*))?$/i.exec(text);
  return { count: Number(m?.[1] ?? 0), skip: skip !== null, reason: skip ? (skip[1] ?? '').trim() : text, line };
}

const newDoc = (indent: number, line: number): TapDocument => ({ version: null, plan: null, results: [], trailing: [], indent, line });

/** Parses the lines of one program's output (no newlines inside the lines). */
export function parseTap(lines: readonly string[]): TapOutput {
  const problems: TapProblem[] = [];
  const unfinished: TapDocument[] = [];
  const root: Level = { doc: newDoc(0, 1), pending: [], child: null };
  const stack: Level[] = [root];
  let found = false;
  let bailOut: TapOutput['bailOut'] = null;
  /** The last result line, for a YAML block right after it. */
  let last: { result: TapResult; indent: number } | null = null;
  let yaml: { result: TapResult; indent: number } | null = null;

  const top = (): Level => stack[stack.length - 1] ?? root;
  /** Ends nested levels deeper than `indent`; each waits for its parent's result line. */
  const popTo = (indent: number): void => {
    while (stack.length > 1 && top().doc.indent > indent) {
      const done = stack.pop() as Level;
      done.doc.trailing.push(...done.pending);
      const parent = top();
      if (parent.child) {
        problems.push({ line: parent.child.line, message: `subtests at line ${parent.child.line} have no result line of their own` });
        unfinished.push(parent.child);
      }
      parent.child = done.doc;
    }
  };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const text = raw.replace(/\r$/, '');
    const content = text.trim();
    const indent = text.length - text.trimStart().length;
    if (yaml) {
      if (content === '...' && indent <= yaml.indent) yaml = null;
      else yaml.result.diagnostics.push(text.slice(Math.min(indent, yaml.indent)));
      return;
    }
    if (content === '') return;
    const kind = classify(content);
    if (kind === 'yaml' && last && indent > last.indent) {
      yaml = { result: last.result, indent };
      last = null;
      return;
    }
    last = null;
    if (kind === 'bail') {
      found = true;
      bailOut ??= { reason: (BAIL.exec(content)?.[1] ?? '').trim(), line: lineNo };
      return;
    }
    if (kind === 'diag' || kind === 'other' || kind === 'yaml') {
      // A less indented diagnostic closes the nested levels (ktap.rst: "# example failed"
      // before the parent's result); unknown lines may sit at any indentation.
      if (kind === 'diag' && found) popTo(indent);
      top().pending.push(content);
      return;
    }
    if (!found) {
      // The first TAP line sets the top level; lines before it go with the first result.
      found = true;
      root.doc.indent = indent;
      root.doc.line = lineNo;
    }
    popTo(indent);
    let level = top();
    if (indent > level.doc.indent) {
      const child: Level = { doc: newDoc(indent, lineNo), pending: [], child: null };
      stack.push(child);
      level = child;
    }
    const doc = level.doc;
    switch (kind) {
      case 'version':
        if (doc.version !== null || doc.plan !== null || doc.results.length > 0) {
          problems.push({ line: lineNo, message: `a second version line at the same level (${JSON.stringify(content)})` });
        } else doc.version = content;
        break;
      case 'plan':
        if (doc.plan) problems.push({ line: lineNo, message: `a second plan at the same level (first at line ${doc.plan.line})` });
        else doc.plan = parsePlan(content, lineNo);
        break;
      case 'result': {
        const m = RESULT.exec(content);
        const number = m?.[2] === undefined ? null : Number(m[2]);
        const result: TapResult = {
          ok: m?.[1] === 'ok',
          number,
          ...splitDirective(m?.[3] ?? ''),
          diagnostics: level.pending.splice(0),
          subtests: level.child,
          line: lineNo,
        };
        level.child = null;
        const want = doc.results.length + 1;
        if (number !== null && number !== want) problems.push({ line: lineNo, message: `test number ${number} out of sequence (expected ${want})` });
        doc.results.push(result);
        last = { result, indent };
        break;
      }
    }
  });

  popTo(-1);
  if (root.child) {
    problems.push({ line: root.child.line, message: `subtests at line ${root.child.line} have no result line of their own` });
    unfinished.push(root.child);
  }
  root.doc.trailing.push(...root.pending);
  return { found, root: root.doc, bailOut, unfinished, problems };
}
