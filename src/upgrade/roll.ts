import { type BootstrapHost, mastersOf, peerAddressOf } from '../bootstrap/bootstrap-hosts.js';
import {
  type BootstrapInventoryOptions,
  bootstrapInventory,
  inventoryApi,
} from '../bootstrap/bootstrap-inventory.js';
import { hostBundleVersion } from '../bootstrap/host-bundle.js';
import { openHostShell } from '../bootstrap/inventory-access.js';
import { DEFAULT_HOST_LAYOUT } from '../bootstrap/layout.js';
import { KubeClient } from '../client/client.js';
import type { DrainFilterOptions } from '../drain/index.js';
import { DeploymentError } from '../errors.js';
import { silentEvents } from '../events.js';
import { TUGBOAT_VERSION } from '../version.js';
import { readHostVersions } from './cluster-versions.js';
import { mastersEtcdCheck } from './etcd-check.js';
import { type MasterHealthOptions, waitClusterSafeToRoll, waitMasterHealthy } from './master-health.js';
import { buildUpgradePlan, type UpgradePlan, UpgradeRefusedError } from './plan.js';
import { rollWorkers, uncordonIfOurs } from './roll-workers.js';

export { UPGRADE_CORDON_ANNOTATION } from './roll-workers.js';

/** Options of {@link runUpgrade}: how to reach and install the hosts, plus the roll's own. */
export interface UpgradeOptions extends Omit<BootstrapInventoryOptions, 'only'> {
  /**
   * The version the bundle installs; must match the version the bundle says it is (its first
   * line) when it says one. @default the bundle's version, else this build's
   */
  readonly target?: string;
  /** Workers drained and reinstalled at once. @default 1 */
  readonly maxUnavailable?: number;
  /** Allow an older target (workers then go first). @default false */
  readonly allowDowngrade?: boolean;
  /** Only plan: read versions, touch nothing. @default false */
  readonly dryRun?: boolean;
  /** How workers are drained (DaemonSet pods are always left). @default kubectl's defaults */
  readonly drain?: Omit<DrainFilterOptions, 'ignoreDaemonSets'> & { readonly timeoutMs?: number };
  /**
   * Limit for a master's health after its reinstall (API ready at the target, every etcd member
   * healthy, the controllers' Lease renewed), and for the other masters' health before it.
   * @default readyTimeoutMs
   */
  readonly healthTimeoutMs?: number;
}

/** What {@link runUpgrade} did. */
export interface UpgradeResult {
  readonly plan: UpgradePlan;
  readonly applied: boolean;
  /** Milliseconds each step took (drain, reinstall, Ready at the target, uncordon), in plan order. */
  readonly stepMs: readonly number[];
}

/**
 * `tugboat upgrade`: reads the version each host reports, plans (see buildUpgradePlan), and rolls:
 * each master alone — the other etcd members healthy first, then its reinstall with the bundle,
 * then its API ready at the target, every etcd member healthy and the controllers' Lease renewed
 * before the next one (else the roll stops, naming the master and what is unhealthy) — then
 * workers in batches: cordon and drain through the Eviction API (PodDisruptionBudgets hold),
 * reinstall, wait for the Node Ready at the target version, uncordon. Hosts already at the target
 * are skipped, so a re-run after Ctrl-C continues; nodes it left cordoned are uncordoned then.
 * The cluster is asked through a client that fails over between the masters.
 */
export async function runUpgrade(options: UpgradeOptions): Promise<UpgradeResult> {
  const events = options.events ?? silentEvents;
  const inv = options.inventory;
  const masters = mastersOf(inv);
  const { servers, pki } = inventoryApi(options);
  const tls = { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem };
  const client = new KubeClient({ server: servers[0]!, failoverServers: servers.slice(1), ...tls });
  const masterClients = new Map(
    masters.map((m, i) => [m.name, new KubeClient({ server: servers[i]!, ...tls })]),
  );
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const masterSchedulable = options.masterSchedulable ?? inv.workers.length === 0;
  const store = options.store ?? (masters.length > 1 ? 'etcd' : 'embedded');
  try {
    const versions = await readHostVersions(client, inv, (m) => masterClients.get(m.name)!);
    const built = hostBundleVersion(options.bundle);
    const plan = buildUpgradePlan(versions, {
      target: options.target ?? built ?? TUGBOAT_VERSION,
      ...(options.maxUnavailable !== undefined ? { maxUnavailable: options.maxUnavailable } : {}),
      ...(options.allowDowngrade !== undefined ? { allowDowngrade: options.allowDowngrade } : {}),
    });
    // Nodes would never report the target: the roll would wait for them until its timeout.
    if (built !== undefined && built !== plan.target)
      throw new UpgradeRefusedError(
        `--to-version ${plan.target}, but bundle ${options.bundle.file} was built as ${built}: leave --to-version out, or pass the bundle built as ${plan.target}`,
      );
    if (options.dryRun) return { plan, applied: false, stepMs: [] };
    // A previous run stopped between reinstall and uncordon: finish those nodes first.
    for (const name of plan.upToDate)
      await uncordonIfOurs(client, name, plan.target, readyTimeoutMs, options.signal);

    const install = async (hosts: readonly BootstrapHost[]) => {
      const only = hosts.map((h) => h.name);
      const result = await bootstrapInventory({ ...options, only, masterSchedulable, events });
      const failed = result.hosts.filter((h) => !h.ok && only.includes(h.host));
      if (failed.length > 0)
        throw new DeploymentError(
          'UPGRADE_FAILED',
          `upgrade to ${plan.target} failed on ${failed.map((h) => `${h.host}: ${h.ok ? '' : h.error.message}`).join('; ')}\nfix the cause and run the same upgrade again: it continues from there`,
        );
    };
    const members = masters.map((m) => ({ name: m.name, address: peerAddressOf(m) }));
    const etcdCheck =
      store === 'etcd'
        ? mastersEtcdCheck(
            members,
            options.layoutFor ?? (() => DEFAULT_HOST_LAYOUT),
            options.openShell ?? ((h) => openHostShell(h, options)),
          )
        : undefined;
    const masterSteps = plan.steps.filter((s) => s.role === 'master');
    const healthOf = (master: BootstrapHost, next: string | undefined): MasterHealthOptions => ({
      master,
      masterClient: masterClients.get(master.name)!,
      clusterClient: client,
      target: plan.target,
      timeoutMs: options.healthTimeoutMs ?? readyTimeoutMs,
      ...(etcdCheck ? { etcd: etcdCheck } : {}),
      ...(next ? { next } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const masterHealthy = async (health: MasterHealthOptions) => {
      await waitMasterHealthy(health);
      events.emit({
        code: 'upgrade.master.healthy',
        level: 'info',
        message: `master ${health.master.name} runs ${plan.target}${health.etcd ? ', every etcd member healthy' : ''}, controllers elected`,
        data: { master: health.master.name },
      });
    };
    // A run stopped (Ctrl-C) after a master's reinstall but before its health came back left that
    // master at the target: its API and the controllers are checked before going on; etcd is
    // checked before the next master (every other member healthy) as always.
    if (plan.steps.length > 0)
      for (const m of masters.filter((x) => plan.upToDate.includes(x.name))) {
        const { etcd: _etcd, ...health } = healthOf(m, masterSteps[0]?.hosts[0]?.name);
        await masterHealthy({ ...health, resumed: true });
      }
    const stepMs: number[] = [];
    for (const [i, step] of plan.steps.entries()) {
      const started = Date.now();
      events.emit({
        code: 'upgrade.step',
        level: 'info',
        message: `step ${i + 1}/${plan.steps.length}: ${step.role} ${step.hosts.map((h) => `${h.name} ${h.from} -> ${h.to}`).join(', ')}`,
        data: { step: i + 1, role: step.role, hosts: step.hosts.map((h) => h.name) },
      });
      if (step.role === 'master') {
        const master = masters.find((m) => m.name === step.hosts[0]!.name)!;
        const health = healthOf(master, masterSteps[masterSteps.indexOf(step) + 1]?.hosts[0]?.name);
        await waitClusterSafeToRoll(health);
        await install([master]);
        await masterHealthy(health);
      } else {
        await rollWorkers(client, step, {
          workers: inv.workers,
          target: plan.target,
          readyTimeoutMs,
          install,
          ...(options.drain ? { drain: options.drain } : {}),
          ...(options.events ? { events: options.events } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      }
      stepMs.push(Date.now() - started);
      events.emit({
        code: 'upgrade.step.done',
        level: 'info',
        message: `step ${i + 1} done`,
        data: { step: i + 1, ms: stepMs.at(-1) },
      });
    }
    return { plan, applied: true, stepMs };
  } finally {
    client.close();
    for (const c of masterClients.values()) c.close();
  }
}
