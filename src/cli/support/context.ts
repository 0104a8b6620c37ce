import { stateRoot } from '../../naming.js';

/**
 * What a command needs from the process, passed in so commands run in-process in tests.
 * Results go to stdout, everything else to stderr.
 */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stdin and stderr are terminals (so prompting and animation are allowed). */
  readonly interactive: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Asks a question on the terminal and returns the answer. @default readline on stdin/stderr */
  readonly ask?: (question: string) => Promise<string>;
  /** Standard input for commands that pass it on (`tugboat ssh`). @default none: stdin is closed */
  readonly stdin?: NodeJS.ReadStream;
}

export type OutputFormat = 'text' | 'json';

/** Options every command accepts (defined on the root program). */
export interface GlobalOptions {
  readonly output: OutputFormat;
  readonly debug: boolean;
}

export function processIO(): CliIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY) && !process.env.CI,
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
  };
}

/** Prints a command's result: JSON for `--output json`, otherwise the given text. */
export function printResult(io: CliIO, globals: GlobalOptions, result: unknown, text: () => string): void {
  if (globals.output === 'json') {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const out = text();
    if (out) io.stdout(out.endsWith('\n') ? out : `${out}\n`);
  }
}

/** The root of local state from the environment (see stateRoot); a deprecated variable gets a one-line warning. */
export function cliStateRoot(io: CliIO): string {
  return stateRoot(io.env, (message) => io.stderr(`warning: ${message}\n`));
}
