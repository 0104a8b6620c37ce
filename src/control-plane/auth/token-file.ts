import { ConfigError } from '../../errors.js';
import type { UserInfo } from './authenticate.js';

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/**
 * Parses a kube-apiserver style token file: `token,user,uid,"group1,group2"` per line (`#`
 * comments allowed). Returns token → user. Errors name the line and never echo the token.
 */
export function parseTokenFile(text: string, file = 'token file'): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [token, name, , groups] = splitCsv(line);
    if (!token || !name) {
      throw new ConfigError([
        { path: `${file}:${i + 1}`, message: 'expected token,user,uid,"group1,group2"' },
      ]);
    }
    tokens.set(token, {
      name,
      groups: groups
        ? groups
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean)
        : [],
    });
  });
  return tokens;
}
