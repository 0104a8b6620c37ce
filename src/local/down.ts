import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DockerRuntime } from '../agent/runtime/docker-runtime.js';
import { sweepProcessContainers } from '../agent/runtime/process-records.js';
import { KubeClient } from '../client/client.js';
import { type ResourceType, resources } from '../client/types.js';
import { type EventSink, runPhase, silentEvents } from '../events.js';
import { localStateDir } from '../naming.js';
import { removeFromKubeconfig } from '../pki/index.js';
import { sleep } from '../timing.js';
import { removeLocalPodNetwork } from './pod-network.js';
import { isRunning, stopPid } from './processes.js';
import { kubeconfigAt, LOCAL_CONTEXT, readLocalState } from './state.js';

/** Options for {@link runLocalDown}. */
export interface LocalDownOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Keep the data and certificates (only stop the processes). @default false */
  readonly keepData?: boolean;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** What {@link runLocalDown} did. */
export interface LocalDownResult {
  readonly wasRunning: boolean;
  readonly stopped: readonly string[];
  readonly removedContainers: number;
  readonly stateDir: string;
}

const JOBS: ResourceType = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true };
const WORKLOADS: readonly ResourceType[] = [
  resources.deployments,
  resources.daemonSets,
  resources.replicaSets,
  JOBS,
];

/**
 * `tugboat local down`: deletes the workloads (so agents stop their containers the normal way),
 * stops the agents and the control plane by PID, removes any container left by the local nodes,
 * then the pod network (bridges, pod veths, our iptables chains; Docker's stay), takes the context
 * out of the kubeconfig and deletes the state directory. Safe to run twice.
 */
export async function runLocalDown(options: LocalDownOptions = {}): Promise<LocalDownResult> {
  const env = options.env ?? process.env;
  const events = options.events ?? silentEvents;
  const dir = localStateDir(env);
  const state = readLocalState(dir);
  if (!state) return { wasRunning: false, stopped: [], removedContainers: 0, stateDir: dir };
  const stopped: string[] = [];

  if (isRunning(state.controlPlane.pid)) {
    await runPhase(events, 'local.drain', 'delete workloads and pods', async () => {
      const pki = (name: string) => readFileSync(join(dir, 'pki', name), 'utf8');
      const admin = new KubeClient({
        server: state.server,
        ca: pki('ca.crt'),
        cert: pki('admin.crt'),
        key: pki('admin.key'),
      });
      try {
        await drain(admin);
      } catch {
        // A control plane that does not answer cannot be drained; containers are swept below.
      } finally {
        admin.close();
      }
    });
  }

  await runPhase(events, 'local.stop', 'stop agents and control plane', async () => {
    await Promise.all(
      state.nodes.map(async (n) => {
        if (isRunning(n.pid)) stopped.push(n.name);
        await stopPid(n.pid);
      }),
    );
    if (isRunning(state.controlPlane.pid)) stopped.push('control-plane');
    await stopPid(state.controlPlane.pid);
  });

  // Agents that were killed (kill -9, OOM) leave their pods running: stop those too.
  const removedContainers = await runPhase(events, 'local.containers', 'remove leftover containers', () =>
    state.runtime === 'docker'
      ? sweepContainers(state.nodes.map((n) => n.name))
      : sweepProcesses(state.nodes.map((n) => join(dir, 'agents', n.name))),
  );

  const podNetwork = state.podNetwork;
  if (podNetwork) {
    await runPhase(events, 'local.network', 'remove the pod network (bridges, routes, rules)', () =>
      removeLocalPodNetwork(podNetwork),
    );
  }

  removeFromKubeconfig(
    kubeconfigAt(env, state.kubeconfigExplicit ? state.kubeconfigPath : undefined),
    LOCAL_CONTEXT,
  );
  if (!options.keepData) rmSync(dir, { recursive: true, force: true });
  return { wasRunning: true, stopped, removedContainers, stateDir: dir };
}

/** Deletes the controllers' workloads, then every pod, and waits (bounded) for the pods to go. */
async function drain(admin: KubeClient): Promise<void> {
  const namespaces = await admin.list(resources.namespaces);
  for (const ns of namespaces.items) {
    const namespace = ns.metadata.name;
    for (const type of WORKLOADS) {
      for (const obj of (await admin.list(type, { namespace })).items) {
        await admin.delete(type, obj.metadata.name ?? '', { namespace, propagationPolicy: 'Background' });
      }
    }
  }
  for (let i = 0; i < 60; i++) {
    const pods = await admin.list(resources.pods);
    if (pods.items.length === 0) return;
    for (const pod of pods.items) {
      if (!pod.metadata.deletionTimestamp) {
        await admin
          .delete(resources.pods, pod.metadata.name ?? '', { namespace: pod.metadata.namespace })
          .catch(() => undefined);
      }
    }
    await sleep(500);
  }
}

/** Stops every pod process the local nodes' process runtime recorded and that still runs. */
async function sweepProcesses(dataDirs: readonly string[]): Promise<number> {
  let stopped = 0;
  for (const d of dataDirs) stopped += (await sweepProcessContainers(d)).length;
  return stopped;
}

/** Stops and removes every container the local nodes' docker runtime labelled as theirs. */
async function sweepContainers(nodeNames: readonly string[]): Promise<number> {
  let removed = 0;
  for (const nodeName of nodeNames) {
    const runtime = new DockerRuntime({ nodeName });
    const containers = await runtime.list().catch(() => []);
    for (const c of containers) {
      await runtime.stop(c.id, 0).catch(() => undefined);
      await runtime.remove(c.id).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}
