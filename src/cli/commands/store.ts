import type { CommandModule } from './registry.js';

/** Flags of `tugboat store repair`. */
export interface StoreRepairFlags {
  readonly yes: boolean;
}

/** Flags of `tugboat store restore-etcd`. */
export interface StoreRestoreEtcdFlags {
  readonly from?: string;
  readonly stateBucket?: string;
  readonly statePrefix?: string;
  readonly etcdEndpoints?: string;
  readonly etcdCafile?: string;
  readonly etcdCertfile?: string;
  readonly etcdKeyfile?: string;
  readonly yes: boolean;
}

/**
 * `tugboat store repair DIR`: the explicit recovery for an embedded store that refuses to start;
 * `tugboat store restore-etcd`: a backup's keys into etcd (run on a master, control planes stopped);
 * `tugboat store backup-etcd`: a backup of etcd now (run on a master).
 */
export const storeCommand: CommandModule = {
  define(program, run) {
    const store = program
      .command('store')
      .description("the control plane's store: repair the embedded one, back up or restore etcd");
    const repair = store
      .command('repair')
      .description(
        'cut a damaged write-ahead log at the damage (or set a damaged snapshot aside), keeping copies; says what it drops first',
      )
      .argument('<dir>', 'data directory of the embedded store (--data-dir of tugboat control-plane)')
      .option('--yes', 'do not ask for confirmation', false);
    repair.action(
      run(async (io, globals) => {
        const { runStoreRepair } = await import('./store-run.js');
        return runStoreRepair(io, globals, repair.args[0] ?? '', repair.opts<StoreRepairFlags>());
      }),
    );
    const backupEtcd = store
      .command('backup-etcd')
      .description(
        "take a backup of the store in etcd now, at one revision, to the cluster's S3 prefix (on a master; AWS credentials and region from the environment)",
      )
      .option('--state-bucket <bucket>', 'the bucket of the backups (the control plane flag)')
      .option('--state-prefix <prefix>', "the cluster's prefix in the bucket (the control plane flag)")
      .option('--etcd-endpoints <urls>', 'client URLs of the members, comma-separated')
      .option('--etcd-cafile <file>', 'CA of the members (PEM)')
      .option('--etcd-certfile <file>', 'client certificate for etcd (PEM)')
      .option('--etcd-keyfile <file>', 'its key (PEM)');
    backupEtcd.action(
      run(async (io, globals) => {
        const { runStoreBackupEtcd } = await import('./store-restore-etcd-run.js');
        return runStoreBackupEtcd(io, globals, backupEtcd.opts<StoreRestoreEtcdFlags>());
      }),
    );
    const restoreEtcd = store
      .command('restore-etcd')
      .description(
        "replace the store's keys in etcd with a backup (on a master, every control plane stopped; AWS credentials and region from the environment)",
      )
      .option('--from <backup>', 'the backup, a name from `tugboat backup list`')
      .option('--state-bucket <bucket>', 'the bucket of the backups (the control plane flag)')
      .option('--state-prefix <prefix>', "the cluster's prefix in the bucket (the control plane flag)")
      .option('--etcd-endpoints <urls>', 'client URLs of the members, comma-separated')
      .option('--etcd-cafile <file>', 'CA of the members (PEM)')
      .option('--etcd-certfile <file>', 'client certificate for etcd (PEM)')
      .option('--etcd-keyfile <file>', 'its key (PEM)')
      .option('--yes', 'do not ask for confirmation', false);
    restoreEtcd.action(
      run(async (io, globals) => {
        const { runStoreRestoreEtcd } = await import('./store-restore-etcd-run.js');
        return runStoreRestoreEtcd(io, globals, restoreEtcd.opts<StoreRestoreEtcdFlags>());
      }),
    );
  },
};
