import type { BootstrapHost } from '../bootstrap/bootstrap-hosts.js';
import { type EtcdClusterHealth, etcdHealthProblem } from '../bootstrap/etcd-health.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { DeploymentError } from '../errors.js';
import type { Lease } from '../kube/index.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { tugboatVersionOf } from '../version.js';
import { type PollAnswer, pollUntil } from './wait.js';

/** The Lease the scheduler and controllers are elected on (one for both). */
export const CONTROLLERS_LEASE = { namespace: 'kube-system', name: 'tugboat-controller-manager' } as const;

/** The cluster's etcd as the health checks need it. */
export interface MastersEtcdCheck {
  /**
   * etcd's health asked from `master` through `shell` (etcdClusterHealth with the cluster's
   * members; it never throws for an etcd that is down).
   */
  readonly health: (
    master: BootstrapHost,
    shell: RemoteShell,
    signal?: AbortSignal,
  ) => Promise<EtcdClusterHealth>;
  /** Opens a session on a master: the check runs there (etcd's port is open to masters only). */
  readonly openShell: (host: BootstrapHost) => Promise<RemoteShell>;
}

/** Options of {@link waitMasterHealthy}. */
export interface MasterHealthOptions {
  readonly master: BootstrapHost;
  /** A client of this master's API server alone (no failover): its /readyz and /version. */
  readonly masterClient: KubeClient;
  /** A client that fails over between masters: the controllers' Lease. */
  readonly clusterClient: KubeClient;
  readonly target: string;
  /** Absent when the store is not etcd. */
  readonly etcd?: MastersEtcdCheck;
  /**
   * The master was found at the target when this run started (a previous run stopped after its
   * reinstall): said so in the error. @default false
   */
  readonly resumed?: boolean;
  /** The master rolled after this one, named in the error. @default none */
  readonly next?: string;
  readonly timeoutMs: number;
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Before a master is reinstalled: every other etcd member must be healthy (taking this one down
 * then keeps quorum). Polls up to `timeoutMs`, then refuses with what is unhealthy; nothing has
 * been changed on the master then.
 */
export async function waitClusterSafeToRoll(options: MasterHealthOptions): Promise<void> {
  const { master, etcd } = options;
  if (!etcd) return;
  const answer = await poll(options, async (shell) => {
    if (!shell) return true;
    return etcdHealthProblem(await etcd.health(master, shell, options.signal), master.name) ?? true;
  });
  if (answer !== true)
    throw new DeploymentError(
      'UPGRADE_UNHEALTHY',
      `not reinstalling master ${master.name}: the other masters were not healthy within ${seconds(options)}s, so taking it down could lose etcd's quorum: ${answer}\nnothing was changed on ${master.name}; bring the members back (tugboat bootstrap, or start tugboat-etcd on them) and run the same upgrade again`,
    );
}

/**
 * After a master was reinstalled: waits until its API server answers `/readyz` and reports
 * `target` on `/version`, etcd lists every master as a member and each is healthy (asked from
 * this master), and the controllers' Lease is renewed by someone (the scheduler and controllers
 * run somewhere). Past `timeoutMs` stops the roll naming the master and what is unhealthy.
 */
export async function waitMasterHealthy(options: MasterHealthOptions): Promise<void> {
  const { master, etcd, target } = options;
  let firstLease: string | undefined;
  const answer = await poll(options, async (shell) => {
    const ready = await options.masterClient.transport
      .stream({ method: 'GET', path: '/readyz' })
      .then((res) => {
        res.resume();
        return true as const;
      })
      .catch((err: unknown) => `its API server's /readyz: ${describeError(err)}`);
    if (ready !== true) return ready;
    const version = await options.masterClient.transport
      .json<{ gitVersion?: string }>({ method: 'GET', path: '/version' })
      .then((v) => tugboatVersionOf(v.gitVersion) ?? `not a tugboat version (${v.gitVersion})`)
      .catch((err: unknown) => `no answer (${describeError(err)})`);
    if (version !== target) return `its API server's /version reports ${version}, not ${target}`;
    if (etcd && shell) {
      const problem = etcdHealthProblem(await etcd.health(master, shell, options.signal));
      if (problem) return problem;
    }
    const lease = await options.clusterClient
      .get<Lease>(resources.leases, CONTROLLERS_LEASE.name, CONTROLLERS_LEASE.namespace)
      .then((l) => JSON.stringify([l.spec?.holderIdentity, l.spec?.renewTime]))
      .catch((err: unknown) => ({ error: describeError(err) }));
    if (typeof lease !== 'string') return `the controllers' Lease: ${lease.error}`;
    // Renewed while we watched: judged by change, not by clocks (as client-go's election does).
    firstLease ??= lease;
    return lease !== firstLease
      ? true
      : `the scheduler and controllers: Lease ${CONTROLLERS_LEASE.namespace}/${CONTROLLERS_LEASE.name} not renewed yet`;
  });
  if (answer !== true)
    throw new DeploymentError(
      'UPGRADE_UNHEALTHY',
      `master ${master.name} ${options.resumed ? `already runs ${target} but was not healthy within ${seconds(options)}s` : `was not healthy within ${seconds(options)}s of its reinstall to ${target}`}: ${answer}\nthe roll stopped${options.next ? ` before master ${options.next}` : ''}; fix ${master.name} and run the same upgrade again: it checks the masters again before touching the next one`,
    );
}

const seconds = (o: MasterHealthOptions) => Math.round(o.timeoutMs / 100) / 10;

/** Polls `check` with one session on the master kept open (only when etcd is checked). */
async function poll(
  options: MasterHealthOptions,
  check: (shell: RemoteShell | undefined) => Promise<PollAnswer>,
): Promise<PollAnswer> {
  const shell = options.etcd ? await options.etcd.openShell(options.master) : undefined;
  try {
    return await pollUntil(options.timeoutMs, options.intervalMs ?? 1_000, options.signal, () =>
      check(shell),
    );
  } finally {
    await shell?.close();
  }
}
