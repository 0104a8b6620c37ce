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

/**
 * Exit code when the user answers no to a prompt: the command was aborted by the user, as with
 * Ctrl-C (kubectl and eksctl treat a declined confirmation as an abort), not a failure (1 is
 * reserved for bugs). Nothing was changed.
 */
export const EXIT_DECLINED = 130;

/** `-o/--output`: text for people, json or yaml for programs. */
export type OutputFormat = 'text' | 'json' | 'yaml';

/** `--progress`: lines (or listr2 on a terminal) for people, JSON lines on stderr for programs. */
export type ProgressFormat = 'text' | 'json';

/** Options every command accepts (defined on the root program). */
export interface GlobalOptions {
  readonly output: OutputFormat;
  readonly debug: boolean;
  /** @default 'text' */
  readonly progress?: ProgressFormat;
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

/** The root of local state from the environment (see stateRoot); a deprecated variable gets a one-line warning. */
export function cliStateRoot(io: CliIO): string {
  return stateRoot(io.env, (message) => io.stderr(`warning: ${message}\n`));
}
