// The command line (issue 16): each command has its own --help listing the flags it takes,
// a flag the command does not take is an error naming it, and NO_COLOR is honoured.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commandHelp, COMMANDS, FLAGS, mainHelp, parseCommandLine, useColor, type CommandName } from '../../runner/cli/flags.js';
import { VmaspecError } from '../../runner/errors.js';

const usageError = (argv: string[]): string => {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(VmaspecError);
    expect((e as VmaspecError).code).toBe('E_USAGE');
    return (e as VmaspecError).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('flags per command', () => {
  it('accepts the flags each command uses', () => {
    expect(parseCommandLine(['run', '--kernel', 'debian:6.1', '--junit', 'r.xml', '-j', '2', 'cases/merge']).values).toMatchObject({ kernel: ['debian:6.1'], junit: 'r.xml', jobs: '2' });
    expect(parseCommandLine(['gate', '--series', 'a.mbx', '--series', 'b.patch', '--json', 'g.json']).values.series).toEqual(['a.mbx', 'b.patch']);
    expect(parseCommandLine(['merge', '--junit', 'x.xml', 'a.json', 'b.json']).paths).toEqual(['a.json', 'b.json']);
    expect(parseCommandLine(['mutants', '--profile', 'debug', 'm1']).command).toBe('mutants');
    const kb = parseCommandLine(['kernel', 'build', '--patch', 'p.patch']);
    expect([kb.command, kb.values.patch, kb.values.arch]).toEqual(['kernel build', ['p.patch'], 'x86_64']);
  });

  it('refuses a flag the command does not take, naming it and the command\'s own', () => {
    expect(usageError(['check', '--junit', 'x'])).toBe('check does not take --junit; its options: none (see "vmaspec check --help")');
    expect(usageError(['merge', '--kernel', 'debian:6.1', 'a.json'])).toMatch(/^merge does not take --kernel; its options: --json --ktap --junit --html --color --no-color /);
    expect(usageError(['schema', '-j', '2'])).toMatch(/^schema does not take -j;/);
    expect(usageError(['run', '--bogus'])).toContain("Unknown option '--bogus'");
    expect(usageError(['kernel', 'boot'])).toMatch(/^unknown command "kernel boot"; allowed: run, check/);
  });

  it('gives each command a help of its own with exactly its flags', () => {
    for (const name of Object.keys(COMMANDS) as CommandName[]) {
      const help = commandHelp(name);
      expect(help.startsWith(`usage: vmaspec ${name} [options]`)).toBe(true);
      for (const flag of Object.keys(FLAGS)) {
        const listed = new RegExp(`^  (-\\w, )?--${flag}(?= |$)`, 'm').test(help);
        expect(listed, `${name} --help and --${flag}`).toBe((COMMANDS[name].flags as readonly string[]).includes(flag) || flag === 'help' || flag === 'verbose');
      }
    }
    for (const name of Object.keys(COMMANDS)) expect(mainHelp()).toContain(`\n  ${name.padEnd(16)}`);
  });

  it('gives each command its own exit statuses: check and schema never speak of cases that passed', () => {
    const exitLine = (name: CommandName): string => commandHelp(name).split('\n').find((l) => l.startsWith('exit status: ')) ?? '';
    expect(exitLine('run')).toContain('1 a case did not pass');
    expect(exitLine('check')).toMatch(/^exit status: 0 every case is valid, 2 /);
    expect(exitLine('schema')).not.toContain('passed');
    expect(exitLine('gate')).toContain('regress');
    for (const name of Object.keys(COMMANDS) as CommandName[]) expect(commandHelp(name)).toMatch(/130 Ctrl-C\/SIGINT/);
  });
});

describe('colour', () => {
  it('is off under NO_COLOR (set and not empty) unless --color, and follows the terminal otherwise', () => {
    const none = { color: false, 'no-color': false };
    expect(useColor(none, { NO_COLOR: '1' }, true)).toBe(false);
    expect(useColor(none, { NO_COLOR: '' }, true)).toBe(true);
    expect(useColor(none, {}, false)).toBe(false);
    expect(useColor({ color: true, 'no-color': false }, { NO_COLOR: '1' }, false)).toBe(true);
    expect(useColor({ color: false, 'no-color': true }, {}, true)).toBe(false);
  });
});

describe('the vmaspec command', () => {
  it('exits 2 on a flag the command does not take, and 0 on a command\'s --help', async () => {
    const run = promisify(execFile);
    const bad = await run('node', ['runner/bin/vmaspec.js', 'check', '--junit', 'x']).catch((e: { code: number; stderr: string }) => e);
    expect('code' in bad && bad.code).toBe(2);
    expect((bad as { stderr: string }).stderr).toContain('check does not take --junit');
    const help = await run('node', ['runner/bin/vmaspec.js', 'gate', '--help']);
    expect(help.stdout).toContain('  --series PATH');
    expect(help.stdout).not.toContain('--kernel-image');
  });
});
