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
  readonly labels?: string;
  readonly taint?: string[];
  readonly eip?: boolean;
  readonly podCidr?: string;
  readonly nodePodCidrPrefix?: string;
  readonly serviceCidr?: string;
  readonly apiDns?: string;
  readonly store?: string;
  readonly masters?: string;
  readonly backupSchedule?: string;
  readonly backupRetain?: string;
  readonly etcdSource?: string;
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
      )
      .option('--labels <k=v,...>', "worker: the group's node labels")
      .option(
        '--taint <key=value:Effect>',
        "worker: a taint of the group's nodes (repeatable)",
        (v: string, all: string[] = []) => [...all, v],
      )
      .option('--eip', "worker: take a free Elastic IP of the cluster's pool (the group's, else workers)")
      .option('--pod-cidr <cidr>', 'master: the pod range (network.podCidr)')
      .option(
        '--node-pod-cidr-prefix <n>',
        "master: each node's block of the pod range (network.nodePodCidrPrefix)",
      )
      .option('--service-cidr <cidr>', 'master: the Service ClusterIP range (network.serviceCidr)')
      .option(
        '--api-dns <name>',
        "master: the API's DNS name (api.dns.recordName), named in its serving certificate",
      )
      .option(
        '--store <store>',
        "master: the cluster's store, embedded or etcd (join the other masters' etcd)",
      )
      .option('--backup-schedule <cron>', "master: the spec's backup.schedule (scheduled backups to S3)")
      .option('--backup-retain <n>', "master: the spec's backup.retain")
      .option(
        '--masters <count>',
        'master, store etcd: master.count (the masters form etcd from user-data when no SSH bootstrap does)',
      )
      .option(
        '--etcd-source <source>',
        "master with store etcd: auto (the distribution's etcd, else the pinned release staged in S3), release or package",
      );
    cmd.action(
      run(async (io) => {
        const { runBoot } = await import('../../boot/boot.js');
        const { parseBootSpecFlags } = await import('../../boot/boot-flags.js');
        const { role, cluster, region, group, joinTimeout, ...specFlags } = cmd.opts<BootFlags>();
        const flags = { role, cluster, region, ...(group !== undefined ? { group } : {}) };
        const spec = parseBootSpecFlags(specFlags);
        const seconds = joinTimeout === undefined ? undefined : Number(joinTimeout);
        if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0))
          throw new UsageError(
            `--join-timeout "${joinTimeout}" is not a positive number of seconds: e.g. 900`,
          );
        const endpoint = io.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
        await runBoot({
          ...flags,
          spec,
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
