import type { ServiceMode } from '../bootstrap/service.js';

/** A service's command and environment, read back from its unit or supervisor script. */
export interface ServiceCommand {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** `"a\"b%%"` (systemdWord) words of a line, unescaped. */
function systemdWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    m[1]!.replace(/\\(.)/g, '$1').replace(/%%/g, '%').replace(/\$\$/g, '$'),
  );
}

/** Words of a POSIX shell line as `quote()` writes them (bare, or '...' with '\'' inside), up to a redirection. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if ((c === '<' || c === '>') && word === undefined) {
      break;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The command and environment of a service as tugboat wrote it (`renderSystemdUnit`'s `ExecStart=`
 * and `Environment=` lines, or the supervisor script's `export` lines and the command it starts),
 * so a step can run the same program with other arguments. Undefined when none is found.
 */
export function parseServiceCommand(definition: string, mode: ServiceMode): ServiceCommand | undefined {
  const lines = definition.split('\n');
  const env: Record<string, string> = {};
  if (mode === 'systemd') {
    const exec = lines.find((l) => l.startsWith('ExecStart='));
    if (!exec) return undefined;
    for (const line of lines.filter((l) => l.startsWith('Environment='))) {
      const [pair] = systemdWords(line);
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
    return { argv: systemdWords(exec.slice('ExecStart='.length)), env };
  }
  for (const line of lines.filter((l) => l.startsWith('export '))) {
    const [pair] = shellWords(line.slice('export '.length));
    const at = pair?.indexOf('=') ?? -1;
    if (pair && at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  // The supervisor starts the command in the background, its output to the log.
  const start = lines.find((l) => /<\/dev\/null >>"\$log" 2>&1 &$/.test(l));
  if (!start) return undefined;
  return { argv: shellWords(start.trim()), env };
}

/** The value after `flag` in `argv`, if any. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at >= 0 ? argv[at + 1] : undefined;
}
