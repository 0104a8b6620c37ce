import type { CliIO } from '../../src/cli/support/context.js';

/** A CliIO for in-process host-bundle commands (`boot`): no terminal, stderr captured. */
export function capturingIo(
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): { io: CliIO; stderr: () => string } {
  let stderr = '';
  const io: CliIO = {
    stdout: () => {},
    stderr: (t) => {
      stderr += t;
    },
    interactive: false,
    env,
    cwd,
  };
  return { io, stderr: () => stderr };
}
