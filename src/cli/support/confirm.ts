import { UsageError } from '../../errors.js';
import type { CliIO } from './context.js';

async function readlineAsk(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/**
 * Asks a yes/no question. `--yes` answers yes; without a terminal (CI, pipes) it never prompts
 * and refuses with a UsageError that says to pass --yes.
 */
export async function confirm(io: CliIO, question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!io.interactive) {
    throw new UsageError(`${question.replace(/\?$/, '')}: no terminal to ask on; pass --yes to confirm`);
  }
  const answer = await (io.ask ?? readlineAsk)(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}
