import { addAwsFlags } from '../support/aws-flags.js';
import { addKubeconfigFlags } from '../support/kubeconfig-flags.js';
import { addTimeoutFlag } from '../support/timeout.js';
import type { CommandModule } from './registry.js';

/** `tugboat scale NAME --group G --desired N`. */
export const scaleCommand: CommandModule = {
  define(program, run) {
    const cmd = addKubeconfigFlags(
      addTimeoutFlag(
        addAwsFlags(
          program
            .command('scale')
            .description(
              "set a group's desired instances (within its min and max), wait for them and bootstrap the new ones",
            )
            .argument('<name>', 'cluster name')
            .requiredOption('--group <group>', 'group name (as in the spec)')
            .requiredOption('--desired <n>', 'desired number of instances')
            .option('--no-wait', 'return without waiting for the instances (implies --no-bootstrap)')
            .option('--no-bootstrap', 'do not bootstrap the instances the scale adds')
            .option('--trust-new-hosts', 'record the host key of instances not yet in known_hosts', false)
            .option('--bundle <file>', 'host bundle to install (default: the one npm run build wrote)'),
        ),
      ),
      { switchContext: false },
    );
    cmd.action(
      run(async (io, globals) => {
        const { runScale } = await import('./scale-run.js');
        return runScale(io, globals, String(cmd.args[0]), cmd.opts());
      }),
    );
  },
};
