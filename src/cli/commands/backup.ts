import { addAwsFlags } from '../support/aws-flags.js';
import type { CommandModule } from './registry.js';

/** `tugboat backup create|list NAME`: backups of a cluster's shipped store state in S3. */
export const backupCommand: CommandModule = {
  define(program, run) {
    const backup = program
      .command('backup')
      .description("backups of a cluster's control-plane state (in its S3 prefix)");
    const create = addAwsFlags(
      backup
        .command('create')
        .description('take a backup of the state the master shipped to S3 (verified before it is kept)')
        .argument('<name>', 'cluster name'),
    );
    create.action(
      run(async (io, globals) => {
        const { runBackupCreate } = await import('./backup-run.js');
        return runBackupCreate(io, globals, String(create.args[0]), create.opts());
      }),
    );
    const list = addAwsFlags(
      backup
        .command('list')
        .description("list a cluster's complete backups, oldest first (also after delete --keep-backups)")
        .argument('<name>', 'cluster name'),
    );
    list.action(
      run(async (io, globals) => {
        const { runBackupList } = await import('./backup-run.js');
        return runBackupList(io, globals, String(list.args[0]), list.opts());
      }),
    );
  },
};
