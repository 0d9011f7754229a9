import { describe, expect, it } from 'vitest';
import { quoted, visible } from '../../runner/util/text.js';

describe('visible text', () => {
  it('escapes DEL, control characters and backslashes, and keeps printable ASCII', () => {
    expect(visible('[anon:\x7f]')).toBe('[anon:\\x7f]');
    expect(visible('a\x1fb\nc\\d')).toBe('a\\x1fb\\nc\\\\d');
    expect(visible(' !"#%&\'()*+,-./:;<=>?@^_{|}~')).toBe(' !"#%&\'()*+,-./:;<=>?@^_{|}~');
    expect(visible('\u00e9')).toBe('\\xe9');
  });

  it('quotes strings for failure messages', () => {
    expect(quoted('[anon:"x"]')).toBe('"[anon:\\"x\\"]"');
    expect(quoted(22)).toBe('22');
  });
});
