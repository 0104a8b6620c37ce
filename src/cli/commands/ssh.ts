import { type AwsFlags, addAwsFlags } from '../support/aws-flags.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat ssh`. */
export interface SshFlags extends AwsFlags {
  readonly master?: boolean;
  readonly file?: string;
  readonly trustNewHosts?: boolean;
}

/** `tugboat ssh NAME [INSTANCE | --master] [-- COMMAND...]`: a shell or one command on a cluster host. */
export const sshCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(
      program
        .command('ssh')
        .description(
          'open a shell on a cluster host (the master by default), or run COMMAND there and exit with its exit code',
        )
        .argument('<name>', 'cluster name')
        .argument('[instance-and-command...]', 'INSTANCE id (optional), then -- COMMAND...')
        .option('--master', 'the master instance (the default when no INSTANCE is given)', false)
        .option('-f, --file <path>', 'take the SSH user and address from this spec, not the stack')
        .option(
          '--trust-new-hosts',
          'record the host key of a host never seen before (trust on first use)',
          false,
        ),
    );
    cmd.action(
      run(async (io, globals) => {
        const [name, ...rest] = cmd.args.map(String);
        // Operands after `--` are the command; commander drops the `--` itself, so count them.
        const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
        const dash = raw.indexOf('--');
        const command = dash >= 0 ? raw.slice(dash + 1) : [];
        const before = rest.slice(0, rest.length - command.length);
        const { runSsh } = await import('./ssh-run.js');
        return runSsh(io, globals, name!, before, command, cmd.opts<SshFlags>());
      }),
    );
  },
};
