import { type BootstrapHost, mastersOf, peerAddressOf } from '../bootstrap/bootstrap-hosts.js';
import { bootstrapHostsFromCluster } from '../bootstrap/cluster-hosts.js';
import { etcdHealthProblem } from '../bootstrap/etcd-health.js';
import { openHostShell } from '../bootstrap/inventory-access.js';
import { inventoryApi, masterApiUrl } from '../bootstrap/inventory-api.js';
import { DEFAULT_HOST_LAYOUT } from '../bootstrap/layout.js';
import { KubeClient } from '../client/client.js';
import { DeploymentError } from '../errors.js';
import type { EventSink } from '../events.js';
import { clusterStateDir } from '../naming.js';
import { listClusterInstances } from '../provision/cluster-instances.js';
import type { KeyPairResult } from '../provision/keypair.js';
import type { ClusterSettings } from '../provision/template/index.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { mastersEtcdCheck } from '../upgrade/etcd-check.js';
import { type PollAnswer, pollUntil } from '../upgrade/wait.js';
import { createClusterBackup } from './backup.js';
import type { MasterReplacementOps } from './replace-masters.js';
import type { LifecycleOptions } from './types.js';

/** Options of {@link clusterMasterOps}. */
export interface ClusterMasterOpsOptions extends LifecycleOptions {
  readonly cluster: string;
  readonly settings: ClusterSettings;
  readonly keyPair: KeyPairResult;
  readonly stateRoot?: string;
  /** Record host keys never seen before (the replacement masters'). @default false */
  readonly trustNewHosts?: boolean;
  readonly events: EventSink;
  /** Limit of each health wait (before a master goes, and for its replacement). @default 600_000 */
  readonly healthTimeoutMs?: number;
  /** @default 2_000 */
  readonly healthIntervalMs?: number;
}

const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The master side of `update`'s replacement, over the cluster itself: API servers asked on
 * `/readyz` with the admin credentials, etcd's health asked over SSH on a master (etcd's port is
 * open to masters only) with the check `tugboat upgrade` uses, and for a single master a fresh
 * backup of its shipped state (createClusterBackup, which refuses when it has shipped none). The
 * masters are listed from AWS at every step, as they change under it.
 */
export function clusterMasterOps(options: ClusterMasterOpsOptions): MasterReplacementOps {
  const { aws, cluster, signal } = options;
  const timeoutMs = options.healthTimeoutMs ?? 600_000;
  const intervalMs = options.healthIntervalMs ?? 2_000;
  const stateDir = clusterStateDir(cluster, options.stateRoot);
  const store = options.settings.store;

  const readMasters = async () => {
    const inventory = bootstrapHostsFromCluster(
      await listClusterInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling, cluster }),
      {
        user: options.settings.sshUser,
        address: options.settings.sshAddress,
        ...(options.keyPair.privateKeyPath ? { privateKeyFile: options.keyPair.privateKeyPath } : {}),
      },
    );
    return { inventory, masters: mastersOf(inventory) };
  };

  /** `/readyz` of one master's API server, true or why not. */
  const readyz = async (master: BootstrapHost, stateInventory: Awaited<ReturnType<typeof readMasters>>) => {
    const { pki } = inventoryApi({
      inventory: stateInventory.inventory,
      stateDir,
      ...(options.settings.apiDns ? { apiDns: options.settings.apiDns } : {}),
    });
    const client = new KubeClient({
      server: masterApiUrl(master),
      ca: pki.ca.certPem,
      cert: pki.admin.certPem,
      key: pki.admin.keyPem,
    });
    try {
      const res = await client.transport.stream({ method: 'GET', path: '/readyz' });
      res.resume();
      return true as const;
    } catch (err) {
      return `master ${master.name}'s API server /readyz: ${describeError(err)}`;
    } finally {
      client.close();
    }
  };

  /** etcd's problem as seen from `from` with `members` expected, leaving out `except`; undefined when healthy. */
  const etcdProblem = async (
    read: Awaited<ReturnType<typeof readMasters>>,
    from: BootstrapHost,
    extra: (health: Awaited<ReturnType<ReturnType<typeof mastersEtcdCheck>['health']>>) => string | undefined,
    except?: string,
  ): Promise<string | undefined> => {
    const members = read.masters
      .filter((m) => m.name !== except)
      .map((m) => ({ name: m.name, address: peerAddressOf(m) }));
    const check = mastersEtcdCheck(
      members,
      () => DEFAULT_HOST_LAYOUT,
      (h) =>
        openHostShell(h, {
          inventory: read.inventory,
          stateDir,
          trustNewHosts: options.trustNewHosts ?? false,
        }),
    );
    let shell: RemoteShell | undefined;
    try {
      shell = await check.openShell(from);
      const health = await check.health(from, shell, signal);
      return etcdHealthProblem(health) ?? extra(health);
    } catch (err) {
      return `etcd asked on ${from.name}: ${describeError(err)}`;
    } finally {
      await shell?.close();
    }
  };

  // A failed read (AWS throttling, an address not there yet) is a reason to poll again, not the end.
  const poll = (check: () => Promise<PollAnswer>) =>
    pollUntil(timeoutMs, intervalMs, signal, () => check().catch((err: unknown) => describeError(err)));
  const seconds = Math.round(timeoutMs / 1000);

  return {
    async beforeTerminate(old, masters) {
      if (masters.length === 1) {
        if (store === 'etcd')
          throw new DeploymentError(
            'UPDATE_MASTER_UNSAFE',
            `not replacing ${old}, the cluster's only master: it is etcd's only member, so its replacement would have no member to join and no state (a replaced etcd master never forms a new cluster). Keep the master's instance type, AMI and volume size, or move to master.count 3 first`,
          );
        await createClusterBackup({
          aws,
          cluster,
          events: options.events,
          ...(signal ? { signal } : {}),
        }).catch((err: unknown) => {
          throw new DeploymentError(
            'UPDATE_MASTER_UNSAFE',
            `not replacing ${old}, the cluster's only master: no fresh backup of its state could be taken (${describeError(err)}); its replacement would start with an empty store. Give the spec a backup: section (the master then ships its store to S3), or keep the master's instance type, AMI and volume size`,
          );
        });
        return;
      }
      const answer = await poll(async () => {
        const read = await readMasters();
        const others = read.masters.filter((m) => m.name !== old);
        if (others.length + 1 < masters.length)
          return `only ${others.length + 1} of ${masters.length} masters are running`;
        for (const m of others) {
          const ready = await readyz(m, read);
          if (ready !== true) return ready;
        }
        if (store === 'embedded') return true;
        return (await etcdProblem(read, others[0]!, () => undefined)) ?? true;
      });
      if (answer !== true)
        throw new DeploymentError(
          'UPDATE_UNHEALTHY',
          `not replacing master ${old}: the other masters were not healthy within ${seconds} s, so taking it down could lose etcd's quorum or the API: ${answer}\nnothing was changed on ${old}; bring them back (tugboat status ${cluster}, tugboat bootstrap ${cluster}) and run update again`,
        );
    },

    async waitReplaced(old, next) {
      const answer = await poll(async () => {
        const read = await readMasters();
        const master = read.masters.find((m) => m.name === next);
        if (!master) return `${next} is not a running master yet`;
        const ready = await readyz(master, read);
        if (ready !== true) return ready;
        if (store === 'embedded' || read.masters.length === 1) return true;
        const problem = await etcdProblem(read, master, (health) =>
          health.members.some((m) => m.registered && m.name === old)
            ? `etcd still lists the member of ${old}, the replaced master`
            : undefined,
        );
        return problem ?? true;
      });
      if (answer !== true)
        throw new DeploymentError(
          'UPDATE_UNHEALTHY',
          `master ${next}, the replacement of ${old}, was not serving within ${seconds} s: ${answer}\nthe update stopped before the next master; see its boot log (tugboat ssh ${cluster} ${next} -- cat /var/log/tugboat/boot.log), fix it and run update again: it checks the masters again before touching the next one`,
        );
      options.events.emit({
        code: 'update.replace.master-joined',
        level: 'info',
        message: `master ${next} serves${store === 'embedded' ? '' : ', every etcd member healthy'}, ${old} gone`,
        data: { master: next, replaced: old },
      });
    },
  };
}
