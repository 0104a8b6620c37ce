import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/support/context.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output and no terminal. */
export async function runCli(
  argv: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    interactive?: boolean;
    /** Answers to prompts, in order (implies a terminal to ask on). */
    answers?: string[];
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    interactive: options.interactive ?? false,
    env: options.env ?? { ...process.env },
    cwd: options.cwd ?? process.cwd(),
    ...(options.answers
      ? {
          ask: async (question: string) => {
            stderr += question;
            return options.answers?.shift() ?? '';
          },
        }
      : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
