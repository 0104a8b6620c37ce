import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote, sh } from '../../src/ssh/quote.js';

/** Values an attacker or an unlucky user could put into a name, path or label. */
const hostile: readonly string[] = [
  '',
  ' ',
  'plain',
  "it's",
  "''",
  "'; rm -rf / #",
  '"; rm -rf / #',
  '$(id)',
  '`id`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal parameter expansion is the point
  '${HOME}',
  '$HOME',
  '\\',
  'a\\nb',
  'line1\nline2',
  '\ttab',
  '*',
  '?',
  '[a-z]*',
  '~',
  '~root',
  '-n',
  '--help',
  '!!',
  'a && b || c; d | e & f',
  '> /tmp/x < /etc/passwd',
  '(subshell)',
  '{brace,expansion}',
  '#comment',
  'ünïcödé ✓ 日本',
  'mixed \'single\' and "double" $(and) `back`',
  '\u001b[31mred\u001b[0m',
  'trailing backslash\\',
  "'",
  '=value',
  'key=value with space',
];

function throughSh(script: string): string {
  return execFileSync('/bin/sh', ['-c', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/nonexistent' },
  });
}

describe('quote', () => {
  it.each(hostile.map((v) => [JSON.stringify(v), v]))('%s reaches the command unchanged', (_, value) => {
    expect(throughSh(`printf '%s' ${quote(value)}`)).toBe(value);
  });

  it('stays one word: a hostile value cannot add arguments', () => {
    for (const value of hostile) {
      expect(throughSh(`set -- ${quote(value)}; printf '%s' "$#"`)).toBe('1');
    }
  });

  it('leaves plain words bare and quotes everything else', () => {
    expect(quote('/opt/tugboat/bin')).toBe('/opt/tugboat/bin');
    expect(quote(6443)).toBe('6443');
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote('')).toBe("''");
  });

  it('refuses NUL bytes, which no shell argument can hold', () => {
    expect(() => quote('a\0b')).toThrow(/NUL byte/);
  });
});

describe('sh tag', () => {
  it('quotes every interpolated value and spreads arrays as separate words', () => {
    const dir = "/tmp/it's $(here)";
    const cmd = sh`printf '[%s]' ${dir} ${['a b', '$c']}`;
    expect(cmd).toBe(`printf '[%s]' '/tmp/it'\\''s $(here)' 'a b' '$c'`);
    expect(throughSh(cmd)).toBe("[/tmp/it's $(here)][a b][$c]");
  });
});
