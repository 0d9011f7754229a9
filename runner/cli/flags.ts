// The command line's flags and commands, each defined once: the flag table gives node's
// parseArgs its config and `--help` its lines; the command table says which flags a command
// takes, so `vmaspec <command> --help` lists exactly those and any other flag is an error.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { VmaspecError } from '../errors.js';

interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in help, e.g. `FILE`; none for a boolean. */
  arg?: string;
  /** The value when the flag is not given (a string flag). */
  default?: string;
  /** Help text; more lines are indented under the first. */
  help: string;
}

/** Every flag of every command. */
export const FLAGS = {
  kernel: { type: 'string', multiple: true, arg: 'SPEC', help: "the kernel to test: debian:6.12 (default), debian:6.1, debian-image:6.12-cloud-amd64\n(Debian's own prebuilt kernel), tree:PATH, image:PATH, git:REPO@REV, or host: the\nrunning kernel, no VM (as root; cases that would change the machine are skipped);\ngiven twice or more, run prints a matrix" },
  patch: { type: 'string', multiple: true, arg: 'FILE', help: 'apply a patch to a pristine copy of the source (repeatable, in order)' },
  'kernel-tree': { type: 'string', arg: 'PATH', help: "build a kernel tree of yours, clean or configured in place (then from a clean\ncopy in the cache): nothing is written into the tree" },
  'kernel-build': { type: 'string', arg: 'DIR', help: "the build dir of --kernel-tree (as make O=DIR): its .config is the base" },
  'in-build-dir': { type: 'boolean', help: "build in the tree's own build dir (--kernel-build, or the tree configured in\nplace) instead of the cache; vmaspec's changes go into its .config" },
  'kernel-image': { type: 'string', arg: 'PATH', help: 'boot a prebuilt vmlinux (PVH); its .config must be beside it or given' },
  'kernel-config': { type: 'string', arg: 'PATH', help: "the .config to start from, for any source (default: the tree's or build\ndir's own, else tinyconfig + kernel-config/); vmaspec merges in what the guest\nneeds and the cases use, and prints each change. For a prebuilt image: its .config" },
  kconfig: { type: 'string', multiple: true, arg: 'FILE', help: 'an extra Kconfig fragment on top of kernel-config/ (repeatable)' },
  profile: { type: 'string', multiple: true, arg: 'NAME', help: 'a kernel profile: kernel-config/profiles/NAME.config on top (repeatable)' },
  'cache-dir': { type: 'string', arg: 'DIR', help: 'cache for sources, builds and helpers (default: $XDG_CACHE_HOME/vmaspec)' },
  'make-jobs': { type: 'string', arg: 'N', help: 'make -j (default: cores + 1)' },
  series: { type: 'string', multiple: true, arg: 'PATH', help: "the change: a patch, a folder of patches, an mbox from git format-patch or\nb4 am (.mbx) (repeatable, in order), on Debian's 6.12 source or --kernel-tree" },
  git: { type: 'string', arg: 'REPO', help: 'the base is commit --base of REPO, the change is --base..--head' },
  base: { type: 'string', arg: 'REV', help: 'the base commit of --git' },
  head: { type: 'string', arg: 'REV', help: 'the last commit of the change of --git' },
  'build-only': { type: 'boolean', help: 'build the base and the changed kernel (or find them in the cache), print the\nfolder each is kept in, one a line, and stop: a CI job that builds for its shards' },
  json: { type: 'string', arg: 'FILE', help: 'write the JSON report (schema vmaspec-report/1; gate: vmaspec-gate/1)' },
  ktap: { type: 'string', arg: 'FILE', help: 'write the KTAP report (a case per test, its steps as subtests)' },
  junit: { type: 'string', arg: 'FILE', help: 'write the JUnit XML report' },
  html: { type: 'string', arg: 'FILE', help: 'write the HTML report: one self-contained page, failed layouts drawn side by side\n(run and gate also write report.html into the artifacts folder)' },
  seed: { type: 'string', arg: 'S', help: 'explore: the seed of the generated sequences (default: drawn, and printed)' },
  count: { type: 'string', arg: 'N', help: 'explore: generate N sequences (this shard\'s share of them; default 200)' },
  time: { type: 'string', arg: 'T', help: 'explore: generate sequences for T (e.g. 90s, 10m) instead of a count' },
  oracle: { type: 'string', arg: 'O', default: 'model', help: "explore: what judges the sequences. model (default): the reference model's\nclaims (runner/model/), on the kernel, or with --patch on the patched kernel (a\nfinding's case is checked to pass on the pristine one); diff: every view of the\npristine kernel against the patched one (without --patch: against itself)" },
  explore: { type: 'string', arg: 'N', help: 'gate: also run N generated sequences on both kernels and report every\nobservation that differs (vmaspec explore; docs/explore.md)' },
  shard: { type: 'string', arg: 'I/N', help: 'run the I-th of N deterministic parts of the cases' },
  jobs: { type: 'string', short: 'j', arg: 'N', help: 'guests booted side by side (--kernel host: supervisors), each with a share of\nthe cases (default: cores, and one more for the cases that spent their last run\nwaiting, unless the run would end later so)' },
  'full-views': { type: 'boolean', help: 'every line of each smaps block, not only those the expectations read (a recording\nanother test judges: test/model/record-fixture.ts)' },
  'cold-test': { type: 'boolean', help: 'bench: also time a cold `npm test` (a fresh clone of HEAD, an empty cache: every\nkernel built; ~15 min on 2 cores)' },
  stop: { type: 'boolean', help: 'serve: stop the command server of this checkout (its worker and parked guest with it)' },
  status: { type: 'boolean', help: 'serve: say whether a command server runs for this checkout, and what it holds' },
  'no-snapshot': { type: 'boolean', help: 'boot every guest; by default guests start from a snapshot of a booted one,\nsaved by the first boot of each kernel (cached; docs/performance.md)' },
  artifacts: { type: 'string', arg: 'DIR', help: 'where console logs, result streams and plans go (default: artifacts/)' },
  arch: { type: 'string', arg: 'ARCH', default: 'x86_64', help: 'guest architecture, a file in qemu/ (default: x86_64)' },
  color: { type: 'boolean', help: 'colour in the terminal report (default: when stdout is a terminal and NO_COLOR is unset)' },
  'no-color': { type: 'boolean', help: 'no colour in the terminal report (as NO_COLOR=1 does)' },
  verbose: { type: 'boolean', short: 'v', help: 'print the exact make and QEMU command lines' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
} as const satisfies Record<string, Flag>;

export type FlagName = keyof typeof FLAGS;

const KERNEL: FlagName[] = ['kernel', 'patch', 'kernel-tree', 'kernel-build', 'in-build-dir', 'kernel-image', 'kernel-config', 'kconfig', 'profile', 'cache-dir', 'make-jobs'];
const REPORTS: FlagName[] = ['json', 'ktap', 'junit', 'html'];
const GUESTS: FlagName[] = ['jobs', 'no-snapshot', 'artifacts', 'arch'];
const COLOR: FlagName[] = ['color', 'no-color'];

interface Command {
  /** What it does, for the command list and its own help. */
  summary: string;
  /** What its positional arguments are, for its usage line. */
  args: string;
  flags: FlagName[];
  /** What its exit statuses 0, 1 and 2 mean (signals: SIGNALED, the same for every command). */
  exit: string;
}

const CASES_EXIT = '0 all cases passed (or skipped), 1 a case did not pass, 2 the run could not happen';
const WRITE_EXIT = '0 done, 2 it could not be done (the reason on stderr)';

/** Every command: what it does, the flags it takes (besides --help and --verbose), its exit statuses. */
export const COMMANDS = {
  run: { summary: 'build the kernel, boot it and run the cases (default: every case under cases/;\ncase files and folders may be anywhere)', args: '[case files or folders]', flags: [...KERNEL, ...REPORTS, 'shard', ...GUESTS, 'full-views', ...COLOR], exit: CASES_EXIT },
  check: { summary: 'validate case files only (no build, no boot); a .md page checks its yaml examples', args: '[case files or folders]', flags: [], exit: '0 every case is valid, 2 a case is not (each problem as file:line:col on stderr) or a path is missing' },
  schema: { summary: 'write schema/case.schema.json (the JSON Schema of case files) and the key tables\nof docs/cases.md from the case language (runner/cases/)', args: '', flags: [], exit: WRITE_EXIT },
  coverage: { summary: 'write docs/coverage.md: the cases of every key of docs/kernel-behaviour.md', args: '', flags: [], exit: WRITE_EXIT },
  gate: {
    summary: 'the suite on a base kernel and on the base with a change (--series, or --git with\n--base/--head); prints the regression table; exit 1 on a regression',
    args: '[case files or folders]',
    flags: ['series', 'git', 'base', 'head', 'build-only', 'explore', 'seed', 'kernel-tree', 'kernel-build', 'kernel-config', 'kconfig', 'profile', 'cache-dir', 'make-jobs', ...REPORTS, 'shard', ...GUESTS, ...COLOR],
    exit: '0 no regression, 1 a case regressed with the change, 2 the gate could not run',
  },
  explore: {
    summary: "generate random operation sequences (deterministic from --seed) and run them on the\nkernel (with --patch: the patched kernel), judged by the reference model's claims, or\n(--oracle diff) by every view compared with the pristine kernel (docs/explore.md); a\nsequence that fails is shrunk into a case: artifacts/latest/explore/<id>.yaml",
    args: '',
    flags: ['seed', 'count', 'time', 'oracle', ...KERNEL, ...REPORTS.filter((f) => f !== 'html'), 'shard', ...GUESTS, ...COLOR],
    exit: "0 no sequence failed (a model's claim, a view that differs), 1 one did (a finding), 2 the\nexploration could not run",
  },
  merge: { summary: 'join the JSON reports of shards (files given) into one report and verdict', args: '<report.json …>', flags: [...REPORTS, ...COLOR], exit: CASES_EXIT.replace('the run', 'the merge') },
  bench: { summary: 'measure speed (one case, the suite, kernel builds, the naive -M pc baseline);\nwrites docs/performance.md and docs/performance.json', args: '[case id]', flags: [...KERNEL, 'artifacts', 'arch', 'cold-test'], exit: WRITE_EXIT },
  'kernel build': { summary: 'build (or find in the cache) the kernel only', args: '', flags: [...KERNEL, 'arch'], exit: WRITE_EXIT },
  'kernel key': {
    summary: "print the key the kernel is kept under in the cache, building and extracting nothing:\na CI cache key that changes exactly when the kernel would be built anew",
    args: '',
    flags: [...KERNEL.filter((f) => f !== 'cache-dir' && f !== 'make-jobs'), 'arch'],
    exit: WRITE_EXIT,
  },
  mutants: {
    summary: 'build each kernel mutant of mutants/ (or those named) incrementally, run every case\non it and on the unpatched kernel; writes docs/mutants.md and docs/mutants.json',
    args: '[mutant names]',
    flags: ['kconfig', 'profile', 'cache-dir', 'make-jobs', 'artifacts', 'arch'],
    exit: '0 every mutant was caught, 1 a mutant survived (no case failed on it), 2 the run could not happen',
  },
  serve: {
    summary: 'start the command server of this checkout in the background: `./vmaspec` then runs\ncommands in a worker that has the CLI loaded and a guest parked and warm (docs/serve.md)',
    args: '',
    flags: ['stop', 'status', 'cache-dir'],
    exit: '0 done (--status: a server runs), 2 it could not be done (--status: none runs)',
  },
} as const satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;
const COMMON: FlagName[] = ['help', 'verbose'];

const SIGNALED = `128 + the signal's number when a signal ended it (130 Ctrl-C/SIGINT, 143 SIGTERM,
129 SIGHUP; a partial report is kept)`;
const exitStatus = (statuses: string): string => `exit status: ${statuses},\n${SIGNALED}.`;

const indent = (text: string, by: number): string => text.split('\n').join(`\n${' '.repeat(by)}`);

/** One help line (or more) of a flag: `  --name ARG   text`. */
function flagLine(name: FlagName): string {
  const f: Flag = FLAGS[name];
  const head = `${f.short ? `-${f.short}, ` : ''}--${name}${f.arg ? ` ${f.arg}` : ''}`;
  return `  ${head.padEnd(22)}${indent(f.help, 24)}`;
}

/** `vmaspec --help`: the commands, and where each one's options are. */
export function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${indent(c.summary, 18)}`);
  return `usage: vmaspec <command> [options] [arguments]\n\ncommands:\n${rows.join('\n')}\n\n"vmaspec <command> --help" lists the options and exit statuses of a command.\n${COMMON.map(flagLine).join('\n')}\n\n${exitStatus(`0 success, 1 a case (gate: a regression; mutants: a mutant) failed, 2 could not run`)}`;
}

/** `vmaspec <command> --help`: its usage, what it does and exactly the flags it takes. */
export function commandHelp(name: CommandName): string {
  const c: Command = COMMANDS[name];
  return `usage: vmaspec ${name} [options]${c.args ? ` ${c.args}` : ''}\n\n${c.summary}\n\noptions:\n${[...c.flags, ...COMMON].map(flagLine).join('\n')}\n\n${exitStatus(c.exit)}`;
}

const PARSE_OPTIONS: ParseArgsConfig['options'] = Object.fromEntries(
  Object.entries(FLAGS).map(([name, f]: [string, Flag]) => [name, { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) }]),
);

/** The parsed flags: a string, a list of strings (repeatable flags, empty when absent) or a boolean. */
export type Values = {
  [K in FlagName]: (typeof FLAGS)[K] extends { multiple: true }
    ? string[]
    : (typeof FLAGS)[K] extends { type: 'boolean' }
      ? boolean
      : (typeof FLAGS)[K] extends { default: string }
        ? string
        : string | undefined;
};

export interface Parsed {
  /** The command, or null when none was given. */
  command: CommandName | null;
  paths: string[];
  values: Values;
}

const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/**
 * The command line, checked: a known command, known flags, and only the flags that command
 * takes (E_USAGE naming the flag and the command's flags otherwise).
 */
export function parseCommandLine(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: PARSE_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (cause) {
    throw new VmaspecError('E_USAGE', (cause as Error).message, { cause });
  }
  const [first, ...rest] = parsed.positionals;
  const two = first === 'kernel' ? `kernel ${rest[0] ?? ''}`.trim() : first;
  const paths = first === 'kernel' ? rest.slice(1) : rest;
  if (two !== undefined && !isCommand(two)) throw new VmaspecError('E_USAGE', `unknown command "${two}"; allowed: ${Object.keys(COMMANDS).join(', ')}`);
  const command = two ?? null;
  if (command) {
    const takes = new Set<FlagName>([...COMMANDS[command].flags, ...COMMON]);
    // parseArgs's types lose the option tokens when the options are not a literal type.
    for (const t of parsed.tokens as { kind: string; name?: string; rawName?: string }[]) {
      if (t.kind !== 'option' || takes.has(t.name as FlagName)) continue;
      const own = [...takes].filter((f) => !COMMON.includes(f)).map((f) => `--${f}`);
      throw new VmaspecError('E_USAGE', `${command} does not take ${t.rawName}; its options: ${own.length ? own.join(' ') : 'none'} (see "vmaspec ${command} --help")`);
    }
  }
  const v = parsed.values as Record<string, unknown>;
  const values = Object.fromEntries(
    Object.entries(FLAGS).map(([name, f]: [string, Flag]) => [name, v[name] ?? (f.multiple ? [] : f.type === 'boolean' ? false : f.default)]),
  ) as Values;
  return { command, paths, values };
}

/** Colour in the terminal report: --color or --no-color, else NO_COLOR (https://no-color.org: set and not empty) off, else when stdout is a terminal. */
export function useColor(values: Pick<Values, 'color' | 'no-color'>, env: NodeJS.ProcessEnv = process.env, tty = process.stdout.isTTY === true): boolean {
  if (values['no-color']) return false;
  if (values.color) return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return tty;
}
