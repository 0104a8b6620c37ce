import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandModule } from './registry.js';

/** Flags of `boot`, as the user-data passes them. */
interface BootFlags {
  readonly role: 'master' | 'worker';
  readonly cluster: string;
  readonly region: string;
  readonly group?: string;
  readonly joinTimeout?: string;
}

/**
 * `<bundle> boot --role ROLE --cluster NAME --region REGION [--group G]`: what an instance's
 * user-data runs once it has fetched and verified the bundle. Messages go to stderr, which the
 * boot script appends to /var/log/tugboat/boot.log.
 */
export const bootCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('boot')
      .description("install this instance's role at boot (run by the launch template's user-data)")
      .addOption(
        new Option('--role <role>', 'master or worker').choices(['master', 'worker']).makeOptionMandatory(),
      )
      .requiredOption('--cluster <name>', 'the cluster the instance belongs to')
      .requiredOption('--region <region>', "the stack's region (must be the instance's)")
      .option('--group <group>', 'worker group')
      .option(
        '--join-timeout <seconds>',
        'worker: how long to wait for the master to publish its address and for the node certificate (default 900)',
      );
    cmd.action(
      run(async (io) => {
        const { runBoot } = await import('../../boot/boot.js');
        const { joinTimeout, ...flags } = cmd.opts<BootFlags>();
        const seconds = joinTimeout === undefined ? undefined : Number(joinTimeout);
        if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0))
          throw new UsageError(
            `--join-timeout "${joinTimeout}" is not a positive number of seconds: e.g. 900`,
          );
        const endpoint = io.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
        await runBoot({
          ...flags,
          ...(seconds !== undefined ? { worker: { joinTimeoutMs: seconds * 1000 } } : {}),
          ...(endpoint ? { imdsEndpoint: endpoint } : {}),
          env: io.env,
          events: { emit: (e) => io.stderr(`${e.message}\n`) },
        });
        return 0;
      }),
    );
  },
};
