import type { BootstrapHost } from '../bootstrap/bootstrap-hosts.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { type DrainFilterOptions, drainNode } from '../drain/index.js';
import { DeploymentError } from '../errors.js';
import type { EventSink } from '../events.js';
import { getNode, isNodeReady, nodeVersion } from './cluster-versions.js';
import type { UpgradeStep } from './plan.js';
import { pollUntil } from './wait.js';

/** Marks the nodes tugboat cordoned itself, so a re-run uncordons them and leaves users' cordons alone. */
export const UPGRADE_CORDON_ANNOTATION = 'tugboat.io/upgrade-cordoned';

/** What a worker batch needs from the roll. */
export interface WorkerRollOptions {
  readonly workers: readonly BootstrapHost[];
  readonly target: string;
  readonly readyTimeoutMs: number;
  readonly drain?: Omit<DrainFilterOptions, 'ignoreDaemonSets'> & { readonly timeoutMs?: number };
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
  /** Reinstalls these workers (and nothing else). */
  readonly install: (workers: readonly BootstrapHost[]) => Promise<void>;
}

/** One batch of workers: cordon (ours marked), drain through evictions, reinstall, Ready at the target, uncordon. */
export async function rollWorkers(
  client: KubeClient,
  step: UpgradeStep,
  options: WorkerRollOptions,
): Promise<void> {
  const hosts = step.hosts.map((h) => options.workers.find((w) => w.name === h.name)!);
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
  await options.install(hosts);
  for (const h of hosts)
    await uncordonIfOurs(client, h.name, options.target, options.readyTimeoutMs, options.signal);
}

/** Waits for the Node to be Ready at `target`, then uncordons it if the upgrade had cordoned it. */
export async function uncordonIfOurs(
  client: KubeClient,
  name: string,
  target: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const first = await getNode(client, name);
  if (first?.metadata.annotations?.[UPGRADE_CORDON_ANNOTATION] === undefined) return;
  const answer = await pollUntil(timeoutMs, 250, signal, async () => {
    const node = await getNode(client, name).catch(() => undefined);
    if (isNodeReady(node) && nodeVersion(node) === target) return true;
    return `it reports ${nodeVersion(node) ?? 'no version'}, ${isNodeReady(node) ? 'Ready' : 'not Ready'}`;
  });
  if (answer !== true)
    throw new DeploymentError(
      'UPGRADE_FAILED',
      `timed out after ${Math.round(timeoutMs / 1000)}s waiting for node ${name} Ready at ${target}: ${answer} (is the bundle built as that version?)`,
    );
  await client.patch(resources.nodes, name, {
    metadata: { annotations: { [UPGRADE_CORDON_ANNOTATION]: null } },
    spec: { unschedulable: null },
  });
}
