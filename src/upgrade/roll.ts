import type { BootstrapHost } from '../bootstrap/bootstrap-hosts.js';
import {
  type BootstrapInventoryOptions,
  bootstrapInventory,
  inventoryApi,
} from '../bootstrap/bootstrap-inventory.js';
import { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { type DrainFilterOptions, drainNode } from '../drain/index.js';
import { DeploymentError } from '../errors.js';
import { silentEvents } from '../events.js';
import { sleep } from '../timing.js';
import { TUGBOAT_VERSION } from '../version.js';
import {
  getNode,
  isNodeReady,
  nodeVersion,
  readControlPlaneVersion,
  readHostVersions,
} from './cluster-versions.js';
import { buildUpgradePlan, type UpgradePlan, type UpgradeStep } from './plan.js';

/** Options of {@link runUpgrade}: how to reach and install the hosts, plus the roll's own. */
export interface UpgradeOptions extends BootstrapInventoryOptions {
  /** The version the bundle installs. @default this build's version */
  readonly target?: string;
  /** Workers drained and reinstalled at once. @default 1 */
  readonly maxUnavailable?: number;
  /** Allow an older target (workers then go first). @default false */
  readonly allowDowngrade?: boolean;
  /** Only plan: read versions, touch nothing. @default false */
  readonly dryRun?: boolean;
  /** How workers are drained (DaemonSet pods are always left). @default kubectl's defaults */
  readonly drain?: Omit<DrainFilterOptions, 'ignoreDaemonSets'> & { readonly timeoutMs?: number };
}

/** What {@link runUpgrade} did. */
export interface UpgradeResult {
  readonly plan: UpgradePlan;
  readonly applied: boolean;
  /** Milliseconds each step took (drain, reinstall, Ready at the target, uncordon), in plan order. */
  readonly stepMs: readonly number[];
}

/** Marks the nodes tugboat cordoned itself, so a re-run uncordons them and leaves users' cordons alone. */
export const UPGRADE_CORDON_ANNOTATION = 'tugboat.io/upgrade-cordoned';

const POLL_MS = 250;

/**
 * `tugboat upgrade`: reads the version each host reports, plans (see buildUpgradePlan), and rolls:
 * each master alone (reinstalled with the bundle, then /readyz and `/version` at the target), then
 * workers in batches: cordon and drain through the Eviction API (PodDisruptionBudgets hold),
 * reinstall, wait for the Node Ready at the target version, uncordon. Hosts already at the target
 * are skipped, so a re-run after Ctrl-C continues; nodes it left cordoned are uncordoned then.
 */
export async function runUpgrade(options: UpgradeOptions): Promise<UpgradeResult> {
  const events = options.events ?? silentEvents;
  const inv = options.inventory;
  const { server, pki } = inventoryApi(options);
  const client = new KubeClient({
    server,
    ca: pki.ca.certPem,
    cert: pki.admin.certPem,
    key: pki.admin.keyPem,
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const masterSchedulable = options.masterSchedulable ?? inv.workers.length === 0;
  try {
    const versions = await readHostVersions(client, inv);
    const plan = buildUpgradePlan(versions, {
      target: options.target ?? TUGBOAT_VERSION,
      ...(options.maxUnavailable !== undefined ? { maxUnavailable: options.maxUnavailable } : {}),
      ...(options.allowDowngrade !== undefined ? { allowDowngrade: options.allowDowngrade } : {}),
    });
    if (options.dryRun) return { plan, applied: false, stepMs: [] };
    // A previous run stopped between reinstall and uncordon: finish those nodes first.
    for (const name of plan.upToDate)
      await uncordonIfOurs(client, name, plan.target, readyTimeoutMs, options.signal);

    const install = async (workers: readonly BootstrapHost[]) => {
      const result = await bootstrapInventory({
        ...options,
        inventory: { ...inv, workers },
        masterSchedulable,
        events,
      });
      const failed = result.hosts.filter((h) => !h.ok);
      if (failed.length > 0)
        throw new DeploymentError(
          'UPGRADE_FAILED',
          `upgrade to ${plan.target} failed on ${failed.map((h) => `${h.host}: ${h.ok ? '' : h.error.message}`).join('; ')}\nfix the cause and run the same upgrade again: it continues from there`,
        );
    };
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
        await install([]);
        await waitFor(
          `${inv.master.name} to report ${plan.target} on /version`,
          readyTimeoutMs,
          options.signal,
          async () => {
            const v = await readControlPlaneVersion(client).catch(() => undefined);
            return v === plan.target ? true : `it reports ${v ?? 'nothing'}`;
          },
        );
      } else {
        await rollWorkers(client, step, options, plan.target, readyTimeoutMs, install);
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
  }
}

async function rollWorkers(
  client: KubeClient,
  step: UpgradeStep,
  options: UpgradeOptions,
  target: string,
  readyTimeoutMs: number,
  install: (workers: readonly BootstrapHost[]) => Promise<void>,
): Promise<void> {
  const hosts = step.hosts.map((h) => options.inventory.workers.find((w) => w.name === h.name)!);
  await Promise.all(
    hosts.map(async (h) => {
      const node = await getNode(client, h.name);
      if (!node) return;
      // A node the user cordoned stays cordoned afterwards: only ours carry the annotation.
      if (!node.spec?.unschedulable)
        await client.patch(resources.nodes, h.name, {
          metadata: { annotations: { [UPGRADE_CORDON_ANNOTATION]: 'true' } },
          spec: { unschedulable: true },
        });
      await drainNode(client, h.name, {
        ...options.drain,
        ignoreDaemonSets: true,
        ...(options.events ? { events: options.events } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }),
  );
  await install(hosts);
  for (const h of hosts) await uncordonIfOurs(client, h.name, target, readyTimeoutMs, options.signal);
}

/** Waits for the Node to be Ready at `target`, then uncordons it if the upgrade had cordoned it. */
async function uncordonIfOurs(
  client: KubeClient,
  name: string,
  target: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const first = await getNode(client, name);
  if (first?.metadata.annotations?.[UPGRADE_CORDON_ANNOTATION] === undefined) return;
  await waitFor(`node ${name} Ready at ${target}`, timeoutMs, signal, async () => {
    const node = await getNode(client, name).catch(() => undefined);
    if (isNodeReady(node) && nodeVersion(node) === target) return true;
    return `it reports ${nodeVersion(node) ?? 'no version'}, ${isNodeReady(node) ? 'Ready' : 'not Ready'}`;
  });
  await client.patch(resources.nodes, name, {
    metadata: { annotations: { [UPGRADE_CORDON_ANNOTATION]: null } },
    spec: { unschedulable: null },
  });
}

/** Polls `check` until it returns true; past `timeoutMs` throws with its last answer. */
async function waitFor(
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  check: () => Promise<true | string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer === true) return;
    if (Date.now() > deadline)
      throw new DeploymentError(
        'UPGRADE_FAILED',
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}: ${answer} (is the bundle built as that version?)`,
      );
    await sleep(POLL_MS, signal);
  }
}
