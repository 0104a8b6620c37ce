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
        new Option('--format <format>', 'template format (default: -o yaml gives yaml, else json)').choices([
          'json',
          'yaml',
        ]),
      );
    cmd.action(
      run(async (io, globals) => {
        const { BOOT_TEMPLATE_CONTEXT, buildTemplate, renderTemplate } = await import('../../spec.js');
        const { loadSpecArg } = await import('../support/spec-input.js');
        const opts = cmd.opts<{ file: string; format?: 'json' | 'yaml' }>();
        const { spec } = await loadSpecArg(io, opts.file);
        const format = opts.format ?? (globals.output === 'yaml' ? 'yaml' : 'json');
        io.stdout(renderTemplate(buildTemplate(spec, BOOT_TEMPLATE_CONTEXT), format));
        return 0;
      }),
    );
  },
};
