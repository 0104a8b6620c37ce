import { mkdirSync, readFileSync } from 'node:fs';
import { KubeClient } from '../client/client.js';
import { UsageError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { parseListen } from '../listen.js';
import { type Agent, buildAgent } from './agent.js';
import { type ApiServerFollower, startApiServerFollower } from './api-server-follower.js';
import { loadSavedApiServers } from './api-server-list.js';
import { ensureNodeClientCertificate } from './bootstrap-credentials.js';
import { buildPodNetwork } from './build-pod-network.js';
import { type AgentConfig, parseTaint } from './config.js';
import { commandConntrack } from './network/service-proxy/conntrack.js';
import { commandIptables } from './network/service-proxy/iptables.js';
import { isIPv4 } from './network/service-proxy/model.js';
import { ServiceProxy } from './network/service-proxy/service-proxy.js';
import { UserspaceProxy } from './network/userspace-proxy/userspace-proxy.js';
import { resolveNodeIdentity } from './node-identity.js';
import { recordServiceEvent } from './pod-events.js';
import { startProcessRuntime } from './process-runtime-start.js';
import { DockerRuntime } from './runtime/docker-runtime.js';
import type { Runtime } from './runtime/types.js';
import { type AgentServer, buildAgentServer } from './server/agent-server.js';
import { bootstrapServingCertificate, unusableServingCertificate } from './serving-bootstrap.js';
import { buildSummaryCollector } from './stats/summary.js';

/** A running node agent process. */
export interface RunningAgent {
  readonly agent: Agent;
  /** The logs/exec server, when TLS files were configured. */
  readonly server?: AgentServer;
  /** Port the logs/exec server listens on. */
  readonly port: number;
  /** Stops, in order: the API server follower, the pod/lease loops, the logs/exec server, runtime and API connections. Containers keep running. */
  stop(): Promise<void>;
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code}): check the path and permissions`,
    );
  }
}

/**
 * Composition root of the node agent: resolves the node identity (IMDSv2 on EC2), claims an
 * Elastic IP when configured, connects to the API server, picks the runtime, starts the
 * logs/exec server and the agent. The caller stops it on SIGTERM.
 */
export async function startAgentProcess(
  config: AgentConfig,
  events: EventSink = silentEvents,
): Promise<RunningAgent> {
  const { identity: resolved, instance } = await resolveNodeIdentity(config);
  let identity = resolved;
  if (config.eip) {
    if (!instance)
      throw new UsageError(
        'eip self-assignment needs the EC2 instance identity: run on EC2 with imds on or auto',
      );
    const { claimPoolAddress, createEipClaimEc2 } = await import('../aws/eip-claim.js');
    const claimed = await claimPoolAddress({
      ec2: createEipClaimEc2(instance.region),
      cluster: config.eip.cluster,
      pool: config.eip.pool,
      instanceId: instance.instanceId,
      events,
    });
    if (claimed) identity = { ...identity, externalIP: claimed.publicIp };
  }
  if (!config.server.startsWith('https://') && !config.insecureLoopback) {
    throw new UsageError(
      `api server ${config.server} is not https: use https, or insecureLoopback for a local test server`,
    );
  }
  // The masters last seen in default/kubernetes come after the configured ones, for the TLS
  // bootstrap as for the client: a restarted agent whose installed masters were all replaced
  // still finds the cluster.
  const configured = [config.server, ...config.failoverServers];
  const failoverServers = [...config.failoverServers, ...loadSavedApiServers(config.dataDir, events)];
  if (config.bootstrapTokenFile && config.certFile && config.keyFile && config.caFile)
    await ensureNodeClientCertificate({
      server: config.server,
      failoverServers,
      caFile: config.caFile,
      certFile: config.certFile,
      keyFile: config.keyFile,
      bootstrapTokenFile: config.bootstrapTokenFile,
      nodeName: identity.name,
      events,
    });
  const client = new KubeClient({
    server: config.server,
    failoverServers,
    ca: config.caFile ? read(config.caFile, 'CA file') : undefined,
    cert: config.certFile ? read(config.certFile, 'client certificate') : undefined,
    key: config.keyFile ? read(config.keyFile, 'client key') : undefined,
    token: config.tokenFile ? () => read(config.tokenFile ?? '', 'token file').trim() : undefined,
    allowInsecureLoopback: config.insecureLoopback,
  });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const runtime: Runtime =
    config.runtime === 'process'
      ? await startProcessRuntime(config.dataDir, events)
      : new DockerRuntime({ nodeName: identity.name });
  const { host, port: wanted } = parseListen(config.listen, 'listen', '0.0.0.0:10250');
  let server: AgentServer | undefined;
  let port = wanted;
  const nodeAddresses = [identity.internalIP, identity.externalIP].filter((a): a is string => !!a);
  // serverTLSBootstrap: with no usable serving certificate on disk, serve once the CSR is issued.
  const servingWanted =
    config.serverTlsBootstrap && config.tlsCertFile && config.tlsKeyFile && config.certFile && config.keyFile
      ? unusableServingCertificate(
          config.tlsCertFile,
          config.tlsKeyFile,
          identity.name,
          nodeAddresses,
          new Date(),
        )
      : undefined;
  if (config.tlsCertFile && config.tlsKeyFile && config.clientCaFile) {
    server = buildAgentServer({
      runtime,
      stats: buildSummaryCollector({ runtime, nodeName: identity.name }),
      tls: {
        ...(servingWanted
          ? {}
          : {
              cert: read(config.tlsCertFile, 'serving certificate'),
              key: read(config.tlsKeyFile, 'serving key'),
            }),
        clientCa: read(config.clientCaFile, 'client CA'),
      },
      allowedClientNames: config.allowedClients,
      events,
    });
    const srv = server.server;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(wanted, host, () => resolve());
    });
    const addr = srv.address();
    port = typeof addr === 'object' && addr ? addr.port : wanted;
  } else {
    events.emit({
      code: 'agent.server.disabled',
      level: 'warn',
      message: 'no tlsCertFile/tlsKeyFile/clientCaFile: kubectl logs and exec will not reach this node',
      data: {},
    });
  }
  const podNetwork = buildPodNetwork(config, client, runtime, identity.name, identity.internalIP, events);
  const agent = buildAgent({
    client,
    runtime,
    identity,
    dataDir: config.dataDir,
    events,
    labels: config.labels,
    taints: config.taints.map(parseTaint),
    port,
    podNetwork,
  });
  const proxy =
    config.serviceProxy === 'userspace'
      ? new ServiceProxy({
          client,
          backend: new UserspaceProxy({
            host: identity.internalIP,
            events,
            onPortUnavailable: (svc, message) =>
              void recordServiceEvent(
                client,
                svc,
                { type: 'Warning', reason: 'FailedToOpenNodePort', message },
                identity.name,
              ),
          }),
          events,
          nodeName: identity.name,
          healthCheckHost: identity.internalIP,
        })
      : config.serviceProxy === 'iptables'
        ? new ServiceProxy({
            client,
            iptables: commandIptables(),
            events,
            clusterCidr: config.clusterCidr,
            nodeIPs: [identity.internalIP, identity.externalIP].filter(isIPv4),
            nodeName: identity.name,
            conntrack: commandConntrack(),
          })
        : undefined;
  const stopServing = new AbortController();
  let servingBootstrap: Promise<void> | undefined;
  let follower: ApiServerFollower | undefined;
  // The rules before the registration: a node is served on LoadBalancer Services as soon as it is
  // Ready, so its NodePorts must answer by then (the update e2e saw a new worker refuse them for
  // ~1 s). Bounded: a proxy that cannot list Services yet must not hold up the registration.
  const proxyStarted = proxy?.start().then(
    () => true,
    (err: unknown) => {
      events.emit({
        code: 'agent.service-proxy.error',
        level: 'warn',
        message: `service proxy stopped: ${(err as Error).message}`,
        data: {},
      });
      return false;
    },
  );
  try {
    if (proxyStarted) await firstOf(proxyStarted, PROXY_BEFORE_REGISTRATION_MS);
    await agent.start();
    // A plain-http test server (insecureLoopback) is not followed: the Endpoints give https URLs.
    if (configured.every((s) => s.startsWith('https://')))
      follower = startApiServerFollower({ client, configured, dataDir: config.dataDir, events });
    // After the Node is registered: the approver checks the SANs against its addresses.
    if (
      servingWanted &&
      server &&
      config.caFile &&
      config.certFile &&
      config.keyFile &&
      config.tlsCertFile &&
      config.tlsKeyFile
    )
      servingBootstrap = bootstrapServingCertificate({
        // The follower's current list, read per request: a replaced master is not asked.
        servers: () => [client.transport.server, ...client.transport.servers],
        caFile: config.caFile,
        clientCertFile: config.certFile,
        clientKeyFile: config.keyFile,
        nodeName: identity.name,
        addresses: nodeAddresses,
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
        agentServer: server,
        events,
        signal: stopServing.signal,
      });
    // Binds in the background once the bridge has the node's gateway address.
    podNetwork?.dns.start();
  } catch (err) {
    await follower?.stop();
    await proxy?.stop();
    await podNetwork?.dns.stop();
    await server?.close();
    await runtime.close();
    client.close();
    throw err;
  }
  return {
    agent,
    server,
    port,
    async stop() {
      stopServing.abort();
      await servingBootstrap;
      await follower?.stop();
      await proxy?.stop();
      await podNetwork?.dns.stop();
      await agent.stop();
      await server?.close();
      await runtime.close();
      client.close();
    },
  };
}

/** How long a starting agent waits for its service rules before registering the node anyway. */
const PROXY_BEFORE_REGISTRATION_MS = 5_000;

/** Resolves when `p` settles or after `ms`, whichever comes first (the timer never outlives it). */
async function firstOf(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
