import { Argument } from 'commander';
import type { CommandModule } from './registry.js';

/** `tugboat completion bash|zsh|fish`: print a shell completion script (as kind, eksctl, kubectl). */
export const completionCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('completion')
      .description('print a shell completion script: source <(tugboat completion bash)')
      .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']));
    cmd.action(
      run(async (io) => {
        const { renderCompletion } = await import('../support/completion.js');
        const [shell] = cmd.processedArgs as ['bash' | 'zsh' | 'fish'];
        io.stdout(renderCompletion(shell, program));
        return 0;
      }),
    );
  },
};
