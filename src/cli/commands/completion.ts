import { Argument } from 'commander';
import { UsageError } from '../../errors.js';
import { noOutputForm } from '../support/output-forms.js';
import type { CommandModule } from './registry.js';

/** `tugboat completion bash|zsh|fish`: print a shell completion script (as kind, eksctl, kubectl). */
export const completionCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('completion')
      .description('print a shell completion script: source <(tugboat completion bash)')
      .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']));
    cmd.action(
      run(async (io, globals) => {
        // As kubectl: a script is the only form; there is no data to put in JSON or YAML.
        if (globals.output !== 'text')
          throw new UsageError(noOutputForm('completion', 'prints a shell script', 'kubectl completion'));
        const { renderCompletion } = await import('../support/completion.js');
        const [shell] = cmd.processedArgs as ['bash' | 'zsh' | 'fish'];
        io.stdout(renderCompletion(shell, program));
        return 0;
      }),
    );
  },
};
