import { Option } from 'commander';
import type { CommandModule } from './registry.js';

/** `tugboat template -f FILE [--format json|yaml]`: print the cluster's CloudFormation template. */
export const templateCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('template')
      .description('print the CloudFormation template of a cluster spec (no AWS access)')
      .requiredOption('-f, --file <path>', 'cluster spec (YAML or JSON; - reads stdin)')
      .addOption(
        new Option('--format <format>', 'template format').choices(['json', 'yaml']).default('json'),
      );
    cmd.action(
      run(async (io) => {
        const { buildTemplate, renderTemplate } = await import('../../spec.js');
        const { loadSpecArg } = await import('../support/spec-input.js');
        const opts = cmd.opts<{ file: string; format: 'json' | 'yaml' }>();
        const { spec } = await loadSpecArg(io, opts.file);
        io.stdout(renderTemplate(buildTemplate(spec), opts.format));
        return 0;
      }),
    );
  },
};
