import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configRelease, droppedOptions, fragmentRequests, mergeKconfig, parseKconfig } from '../../runner/kernel/kconfig.js';

const fixture = (name: string): Promise<string> => readFile(new URL(`../fixtures/kconfig/${name}`, import.meta.url), 'utf8');

describe('kconfig', () => {
  it('parses set and unset options from a real 6.12 .config', async () => {
    const config = parseKconfig(await fixture('tinyconfig-6.12.config'));
    expect(config.get('ANON_VMA_NAME')).toBe('y');
    expect(config.get('SMP')).toBe('n');
    expect(config.get('SERIAL_8250_NR_UARTS')).toBe('4');
    expect(config.has('MODULES')).toBe(true);
  });

  it('reads the release from the header', async () => {
    expect(configRelease(await fixture('tinyconfig-6.12.config'))).toBe('6.12.117');
  });

  it('keeps fragment line numbers and merges later requests over the base', () => {
    const requests = fragmentRequests('f.config', '# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\n');
    expect(requests).toEqual([
      { name: 'A', value: 'y', file: 'f.config', line: 2 },
      { name: 'B', value: 'n', file: 'f.config', line: 3 },
      { name: 'C', value: '"x y"', file: 'f.config', line: 4 },
    ]);
    const merged = mergeKconfig('CONFIG_A=n\nCONFIG_B=y\nCONFIG_D=y\n', requests);
    expect(parseKconfig(merged)).toEqual(new Map([['D', 'y'], ['A', 'y'], ['B', 'n'], ['C', '"x y"']]));
  });

  it('names every requested option that olddefconfig dropped, with where it was asked for', async () => {
    const final = parseKconfig(await fixture('tinyconfig-6.12.config'));
    const requests = fragmentRequests('vma.config', 'CONFIG_ANON_VMA_NAME=y\nCONFIG_KASAN=y\n# CONFIG_SMP is not set\nCONFIG_HZ_PERIODIC=y\n');
    expect(droppedOptions(requests, final).map((d) => `${d.file}:${d.line}: ${d.name} ${d.value} -> ${d.got}`)).toEqual(['vma.config:2: KASAN y -> n']);
  });
});
