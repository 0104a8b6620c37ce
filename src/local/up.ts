import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { findDockerSocket } from '../agent/runtime/docker-api.js';
import { DockerRuntime } from '../agent/runtime/docker-runtime.js';
import { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { TugboatError } from '../errors.js';
import { type EventSink, runPhase, silentEvents } from '../events.js';
import type { KubeObject } from '../kube/index.js';
import { localStateDir } from '../naming.js';
import {
  addToKubeconfig,
  issueAgentServingCertificate,
  kubeconfigDefaultFile,
  loadOrCreateClusterPki,
  loadOrCreateNodeCertificate,
  renderKubeconfig,
  writeKeyFile,
} from '../pki/index.js';
import { sleep } from '../timing.js';
import {
  assertPodRangeFree,
  LOCAL_CLUSTER_CIDR,
  localAgentNetworkConfig,
  localBridgeName,
  resolveLocalPodNetwork,
} from './pod-network.js';
import { freeLoopbackPort, isRunning, logTail, spawnDetached } from './processes.js';
import {
  kubeconfigAt,
  LOCAL_CONTEXT,
  type LocalClusterState,
  readLocalState,
  writeLocalState,
} from './state.js';

/** Options for {@link runLocalUp}. */
export interface LocalUpOptions {
  /** Number of node agents. @default 2 */
  readonly nodes?: number;
  /**
   * How agents run containers: `auto` picks docker when a Docker daemon answers (DOCKER_HOST or
   * /var/run/docker.sock) and the process runtime otherwise. @default 'auto'
   */
  readonly runtime?: 'auto' | 'docker' | 'process';
  /** Environment (HOME, TUGBOAT_STATE_DIR or the deprecated TUGBOAT_HOME, KUBECONFIG, DOCKER_HOST). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for the API and for every node to be Ready. @default 90_000 */
  readonly timeoutMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** Kubeconfig file to write the context to. @default kubectl's: $KUBECONFIG's list, else ~/.kube/config */
  readonly kubeconfig?: string;
  /** Make the context current. @default true */
  readonly switchContext?: boolean;
  /**
   * More `tugboat control-plane` flags, e.g. `--horizontal-pod-autoscaler-downscale-stabilization=30s`
   * or `--metric-resolution=5` (tests shorten controller timing with them). @default none
   */
  readonly controlPlaneFlags?: readonly string[];
  /**
   * The pod network (docker runtime): node pod CIDRs, a bridge per node, Services by cluster IP
   * and NodePorts on 127.0.0.1 (the first agent runs the service proxy), cluster DNS. It changes
   * this machine's network (bridges, routes, iptables chains of tugboat's own, IPv4 forwarding),
   * so it needs root; `auto` turns it on for docker when running as root. @default 'auto'
   */
  readonly podNetwork?: boolean | 'auto';
}

/** What {@link runLocalUp} started (or found already running). */
export interface LocalUpResult extends LocalClusterState {
  readonly context: string;
  readonly alreadyRunning: boolean;
}

const CLI = fileURLToPath(new URL('../../bin/tugboat.js', import.meta.url));
const ZONES = ['local-a', 'local-b', 'local-c'];

/**
 * `tugboat local up`: a control plane and N node agents as local processes on loopback, with a
 * cluster CA, TLS everywhere and one client certificate per node; the admin context is merged into
 * the kubeconfig kubectl uses and made current. Running it again while the cluster runs changes
 * nothing; after a crash it starts what is missing, keeping the data and certificates.
 */
export async function runLocalUp(options: LocalUpOptions = {}): Promise<LocalUpResult> {
  const env = options.env ?? process.env;
  const events = options.events ?? silentEvents;
  const count = options.nodes ?? 2;
  const runtime = await resolveRuntime(options.runtime ?? 'auto', env);
  const podNetwork = resolveLocalPodNetwork(options.podNetwork ?? 'auto', runtime, process.getuid?.() === 0);
  if (runtime === 'docker' && !podNetwork && options.podNetwork !== false)
    events.emit({
      code: 'local.pod-network.off',
      level: 'warn',
      message:
        "not root: pods stay on Docker's default bridge (no cluster IPs, no cluster DNS); run as root for the pod network",
      data: {},
    });
  const timeoutMs = options.timeoutMs ?? 90_000;
  if (!Number.isInteger(count) || count < 1 || count > 20) {
    throw new TugboatError('USAGE', `--nodes (${count}) must be a whole number from 1 to 20`, {
      exitCode: 2,
    });
  }
  const dir = localStateDir(env);
  const previous = readLocalState(dir);
  if (previous && isRunning(previous.controlPlane.pid) && previous.nodes.every((n) => isRunning(n.pid))) {
    return { ...previous, context: LOCAL_CONTEXT, alreadyRunning: true };
  }
  if (previous) {
    throw new TugboatError(
      'LOCAL_STALE',
      `a local cluster in ${dir} is partly running: run \`tugboat local down\` first, then \`tugboat local up\``,
    );
  }
  const bridges = Array.from({ length: count }, (_, i) => localBridgeName(i + 1));
  // No local cluster runs from this state directory, so even routes over `tugboat-l<n>` belong to
  // another one (another state directory, or one whose state was deleted) and count as conflicts.
  if (podNetwork) await assertPodRangeFree(LOCAL_CLUSTER_CIDR, []);
  for (const sub of ['pki/nodes', 'logs', 'agents', 'control-plane']) {
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  }
  const pki = loadOrCreateClusterPki({
    cluster: LOCAL_CONTEXT,
    dir: join(dir, 'pki'),
    apiAltNames: ['127.0.0.1'],
  });
  const port = await freeLoopbackPort();
  const server = `https://127.0.0.1:${port}`;
  const p = (name: string) => join(dir, 'pki', name);
  const childEnv = { ...env, TUGBOAT_HOME: undefined };

  const controlPlaneLog = join(dir, 'logs', 'control-plane.log');
  const cpPid = spawnDetached(
    [
      CLI,
      'control-plane',
      `--data-dir=${join(dir, 'control-plane')}`,
      `--listen=127.0.0.1:${port}`,
      `--tls-cert-file=${p('apiserver.crt')}`,
      `--tls-private-key-file=${p('apiserver.key')}`,
      `--client-ca-file=${p('ca.crt')}`,
      `--kubelet-client-certificate=${p('apiserver-client.crt')}`,
      `--kubelet-client-key=${p('apiserver-client.key')}`,
      `--service-account-signing-key-file=${p('sa.key')}`,
      ...(podNetwork ? [`--cluster-cidr=${LOCAL_CLUSTER_CIDR}`] : []),
      ...(options.controlPlaneFlags ?? []),
    ],
    controlPlaneLog,
    childEnv,
  );
  const state: { -readonly [K in keyof LocalClusterState]: LocalClusterState[K] } = {
    server,
    runtime,
    kubeconfigPath: kubeconfigDefaultFile(kubeconfigAt(env, options.kubeconfig)),
    ...(options.kubeconfig ? { kubeconfigExplicit: true } : {}),
    controlPlane: { pid: cpPid, log: controlPlaneLog },
    ...(podNetwork
      ? {
          podNetwork: { clusterCidr: LOCAL_CLUSTER_CIDR, bridges },
        }
      : {}),
    nodes: [],
  };
  writeLocalState(dir, state);
  const admin = new KubeClient({
    server,
    ca: pki.ca.certPem,
    cert: pki.admin.certPem,
    key: pki.admin.keyPem,
  });
  try {
    await runPhase(events, 'local.api', `control plane on ${server}`, () =>
      waitFor(timeoutMs, controlPlaneLog, async () => {
        if (!isRunning(cpPid)) throw processDied('control plane', controlPlaneLog);
        await admin.list(resources.namespaces);
        return true;
      }),
    );

    const nodes: { name: string; pid: number; log: string }[] = [];
    for (let i = 1; i <= count; i++) {
      const name = `local-${i}`;
      loadOrCreateNodeCertificate(pki, join(dir, 'pki'), name);
      const serving = issueAgentServingCertificate(pki.ca, { nodeName: name, altNames: ['127.0.0.1'] });
      writeFileSync(p(`nodes/${name}-serving.crt`), serving.certPem, { mode: 0o644 });
      writeKeyFile(p(`nodes/${name}-serving.key`), serving.keyPem);
      const config = {
        server,
        caFile: p('ca.crt'),
        certFile: p(`nodes/${name}.crt`),
        keyFile: p(`nodes/${name}.key`),
        nodeName: name,
        internalIP: '127.0.0.1',
        zone: ZONES[(i - 1) % ZONES.length],
        region: 'local',
        instanceType: 'local',
        group: 'local',
        runtime,
        dataDir: join(dir, 'agents', name),
        listen: `127.0.0.1:${await freeLoopbackPort()}`,
        tlsCertFile: p(`nodes/${name}-serving.crt`),
        tlsKeyFile: p(`nodes/${name}-serving.key`),
        clientCaFile: p('ca.crt'),
        imds: 'off',
        ...(podNetwork ? localAgentNetworkConfig(i, LOCAL_CLUSTER_CIDR) : {}),
        // Process runtime: node ports served from user space on 127.0.0.1. One agent only: every
        // local node has that address, and two agents cannot bind the same port.
        ...(runtime === 'process' && i === 1 ? { serviceProxy: 'userspace' } : {}),
      };
      const configFile = join(dir, 'agents', `${name}.yaml`);
      writeFileSync(configFile, stringify(config), { mode: 0o600 });
      const log = join(dir, 'logs', `${name}.log`);
      nodes.push({ name, pid: spawnDetached([CLI, 'agent', '-c', configFile], log, childEnv), log });
      state.nodes = [...nodes];
      writeLocalState(dir, state);
    }

    await runPhase(events, 'local.nodes', `${count} node(s) Ready`, () =>
      waitFor(timeoutMs, join(dir, 'logs'), async () => {
        for (const n of nodes) if (!isRunning(n.pid)) throw processDied(`agent ${n.name}`, n.log);
        const list = await admin.list<
          KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
        >(resources.nodes);
        const ready = list.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length >= count;
      }),
    );
  } finally {
    admin.close();
  }

  await runPhase(
    events,
    'local.kubeconfig',
    `context ${LOCAL_CONTEXT} in ${state.kubeconfigPath}`,
    async () => {
      const addition = renderKubeconfig({
        cluster: LOCAL_CONTEXT,
        server,
        caPem: pki.ca.certPem,
        user: 'admin',
        certPem: pki.admin.certPem,
        keyPem: pki.admin.keyPem,
      });
      const added = addToKubeconfig(kubeconfigAt(env, options.kubeconfig), addition, {
        switchContext: options.switchContext !== false,
      });
      state.kubeconfigPath = added.file;
    },
  );
  writeLocalState(dir, state);
  return { ...state, context: LOCAL_CONTEXT, alreadyRunning: false };
}

/** Docker when its daemon answers, else the (not isolated) process runtime. */
async function resolveRuntime(wanted: 'auto' | 'docker' | 'process', env: NodeJS.ProcessEnv) {
  if (wanted !== 'auto') return wanted;
  try {
    await new DockerRuntime({ socketPath: findDockerSocket(env) }).version();
    return 'docker';
  } catch {
    return 'process';
  }
}

function processDied(what: string, log: string): TugboatError {
  return new TugboatError('LOCAL_PROCESS_EXITED', `${what} exited; the end of ${log}:\n${logTail(log)}`);
}

/** Polls `check` every 250 ms until it returns true; rethrows TugboatErrors, retries anything else. */
async function waitFor(timeoutMs: number, logs: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof TugboatError) throw err;
      last = err;
    }
    await sleep(250);
  }
  const why = last instanceof Error ? ` (last error: ${last.message})` : '';
  throw new TugboatError('LOCAL_TIMEOUT', `not ready after ${timeoutMs / 1000} s${why}: see ${logs}`);
}
