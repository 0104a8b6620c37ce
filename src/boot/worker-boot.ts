import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { InstanceIdentity } from '../agent/imds.js';
import type { Ec2Api } from '../aws/ec2.js';
import type { SsmApi } from '../aws/ssm.js';
import { AGENT_SERVICE, agentPaths, installAgent } from '../bootstrap/agent-install.js';
import { DEFAULT_HOST_LAYOUT, type HostLayout } from '../bootstrap/layout.js';
import type { ServiceMode } from '../bootstrap/service.js';
import { servicePaths } from '../bootstrap/service-units.js';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { secretParameterName, secretsPath } from '../provision/template/storage-names.js';
import { LocalShell } from '../ssh/local-shell.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { sleep } from '../timing.js';
import type { BootSpecSettings } from './boot-flags.js';
import { apiServerParameterName, readFailoverServers } from './master-endpoint.js';
import { claimWorkerEip } from './worker-eip.js';
import { waitWhileCreateInstalls } from './worker-install-marker.js';

/** How a worker installs itself; every field has the real instance's value as default (tests give their own). */
export interface WorkerBootOverrides {
  /** @default the standard host layout under / */
  readonly layout?: HostLayout;
  /** @default a LocalShell (the boot runs on the host it installs) */
  readonly shell?: RemoteShell;
  /** The verified bundle this boot runs from. @default process.argv[1] */
  readonly bundlePath?: string;
  /** @default process.execPath */
  readonly nodePath?: string;
  /** @default 'auto' (systemd where it is PID 1) */
  readonly mode?: ServiceMode | 'auto';
  /** @default 'docker' */
  readonly runtime?: 'docker' | 'process';
  /** The agent's identity from IMDSv2 (zone, instance type, provider id). @default 'auto' */
  readonly imds?: 'auto' | 'on' | 'off';
  /** Logs/exec server address. @default '0.0.0.0:10250' */
  readonly listen?: string;
  /**
   * How long to wait for what the master publishes (API address, CA certificate) and then for
   * the node certificate to be issued. Workers boot alongside a new master. @default 900_000
   */
  readonly joinTimeoutMs?: number;
  /** @default 5_000 */
  readonly pollMs?: number;
  /**
   * While `tugboat create` installs the workers over SSH (its marker), how long an unchanged marker
   * is taken for a create that died (see waitWhileCreateInstalls). @default 300_000
   */
  readonly createStaleMs?: number;
}

/** Options of {@link runWorkerBoot}. */
export interface WorkerBootOptions extends WorkerBootOverrides {
  readonly cluster: string;
  /** The worker group (launch template). @default none */
  readonly group?: string;
  readonly identity: InstanceIdentity;
  /** Clients with the instance role's credentials. */
  readonly ssm: Pick<SsmApi, 'getSecureString'>;
  /** For the group's pool Elastic IP (`spec.eip`), with the instance role. @default none: no EIP */
  readonly ec2?: Ec2Api;
  /** The group's labels, taints and EIP from the launch template. @default none */
  readonly spec?: BootSpecSettings;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** What a worker's boot did. */
export interface WorkerBootResult {
  /**
   * `boot`: this boot installed the agent and it joined. `bootstrap`: the host's agent was
   * installed by SSH bootstrap (or an earlier boot) and has its node certificate: left as it is.
   */
  readonly installedBy: 'boot' | 'bootstrap';
  /** The API server it joined. @default none (left to bootstrap) */
  readonly server?: string;
  /** The node name (the instance id). */
  readonly nodeName: string;
  /** The pool Elastic IP it holds (claimed or kept). @default none (not asked for, or none free) */
  readonly eip?: string;
}

/** The worker part of `boot` could not join; the message says what was missing. */
export class WorkerJoinError extends TugboatError {
  constructor(message: string) {
    super('BOOT', message);
  }
}

/**
 * The worker's part of `boot`: the API address, CA certificate and bootstrap token from the
 * cluster's SSM parameters (read with the instance role, waiting while a master is still coming
 * up), then the agent installed with SSH bootstrap's own installer over a LocalShell (same host
 * layout) with `--bootstrap-token-file`: the agent makes its key, asks for `system:node:<instance
 * id>` by CSR, which the control plane approves for a running instance of the cluster. Returns once
 * the node certificate is on disk. The token reaches the host as a 0600 file only.
 */
export async function runWorkerBoot(options: WorkerBootOptions): Promise<WorkerBootResult> {
  const { cluster, identity } = options;
  const events = options.events ?? silentEvents;
  const timeoutMs = options.joinTimeoutMs ?? 900_000;
  const pollMs = options.pollMs ?? 5_000;
  const layout = options.layout ?? DEFAULT_HOST_LAYOUT;
  // One installer per host: while create installs the workers over SSH, wait for it; a host it
  // (or an earlier boot: user-data runs at every start) already installed is left as it is.
  const waited = await waitWhileCreateInstalls(options.ssm, {
    cluster,
    instanceId: identity.instanceId,
    pollMs,
    events,
    ...(options.createStaleMs !== undefined ? { staleMs: options.createStaleMs } : {}),
  });
  // Joined: the node certificate and key, and a service definition (an SSH install that stopped
  // after uploading files has none: the boot then installs, keeping the certificate).
  const installed = agentPaths(layout, '');
  const service = servicePaths(layout, AGENT_SERVICE);
  if (
    existsSync(installed.cert) &&
    existsSync(installed.key) &&
    (existsSync(service.unit) || existsSync(service.supervisor))
  ) {
    events.emit({
      code: 'boot.worker-left-to-bootstrap',
      level: 'info',
      message: `the agent of ${identity.instanceId} is installed already (node certificate at ${installed.cert}${waited.outcome === 'finished' ? `, by tugboat ${waited.by}` : ''}): boot left the install to bootstrap and changed nothing`,
      data: { nodeName: identity.instanceId, waited: waited.outcome },
    });
    return { installedBy: 'bootstrap', nodeName: identity.instanceId };
  }
  const deadline = Date.now() + timeoutMs;
  // The worker role may read only `worker/` (and nothing can be written there but by the master
  // role or an administrator), so the values are taken as SSM gives them.
  const get = (name: string) => options.ssm.getSecureString(name);
  const read = async () => ({
    server: await get(apiServerParameterName(cluster)),
    caPem: await get(secretParameterName(cluster, 'caCert')),
    token: await get(secretParameterName(cluster, 'bootstrapToken')),
  });
  let found = await read();
  while (!(found.server && found.caPem && found.token)) {
    if (Date.now() >= deadline) {
      const missing = [
        found.server ? '' : `the API address (${apiServerParameterName(cluster)}: no master has served yet)`,
        found.caPem ? '' : 'the CA certificate (worker/ca-cert)',
        found.token ? '' : 'the bootstrap token (worker/bootstrap-token)',
      ].filter(Boolean);
      throw new WorkerJoinError(
        `worker ${identity.instanceId} of ${cluster} cannot join: after ${Math.round(timeoutMs / 1000)} s SSM under ${secretsPath(cluster)} still lacks ${missing.join(', ')}; check that the master booted (tugboat status ${cluster})`,
      );
    }
    events.emit({
      code: 'boot.worker-waiting',
      level: 'info',
      message: `waiting for the master of ${cluster} to publish its address and the join material`,
    });
    await sleep(pollMs);
    found = await read();
  }
  const { server, caPem, token } = found as { server: string; caPem: string; token: string };
  const failoverServers = await readFailoverServers(options.ssm, cluster, server, (reason) =>
    events.emit({ code: 'boot.failover-servers-invalid', level: 'warn', message: reason }),
  );
  const spec = options.spec ?? {};
  let eip: string | undefined;
  if (spec.eip) {
    if (!options.ec2)
      throw new WorkerJoinError('the group takes a pool Elastic IP, but boot was given no EC2 client');
    const claim = await claimWorkerEip({
      ec2: options.ec2,
      cluster,
      ...(options.group ? { group: options.group } : {}),
      instanceId: identity.instanceId,
      events,
    });
    if (claim.outcome !== 'none-free') eip = claim.address.publicIp;
  }
  const bundlePath = options.bundlePath ?? process.argv[1];
  if (!bundlePath) throw new WorkerJoinError('boot does not know which bundle it runs from');
  const bundle = { file: basename(bundlePath), content: readFileSync(bundlePath) };
  await installAgent(options.shell ?? new LocalShell({ host: identity.instanceId }), {
    layout,
    mode: options.mode ?? 'auto',
    events,
    bundle,
    nodeName: identity.instanceId,
    server,
    ...(failoverServers.length ? { failoverServers } : {}),
    caPem,
    bootstrapToken: token,
    // kubectl logs/exec: the agent asks for its serving certificate once its Node is registered.
    servingBootstrap: true,
    nodePath: options.nodePath ?? process.execPath,
    internalIp: identity.privateIp,
    runtime: options.runtime ?? 'docker',
    imds: options.imds ?? 'auto',
    ...(options.listen ? { listen: options.listen } : {}),
    ...(options.group ? { group: options.group } : {}),
    ...(spec.labels ? { labels: spec.labels } : {}),
    ...(spec.taints ? { taints: spec.taints } : {}),
  });
  events.emit({
    code: 'boot.agent-installed',
    level: 'info',
    message: `agent installed; it asks ${server} for the node certificate of ${identity.instanceId} with the bootstrap token ${token.slice(0, 6)}${failoverServers.length ? ` (failing over to ${failoverServers.join(', ')})` : ''}`,
    data: { server, failoverServers, nodeName: identity.instanceId },
  });
  // The agent writes its certificate once the control plane approved and signed it: until then
  // the node has not joined, and a boot that never gets there is a failure `tugboat status` shows.
  const certFile = agentPaths(layout, bundle.file).cert;
  while (!existsSync(certFile)) {
    if (Date.now() >= deadline)
      throw new WorkerJoinError(
        `worker ${identity.instanceId} of ${cluster} got no node certificate from ${server} in ${Math.round(timeoutMs / 1000)} s: its CSR is approved only for a running instance of the cluster (kubectl get csr; the agent's log is under ${layout.log})`,
      );
    await sleep(Math.min(pollMs, 1_000));
  }
  events.emit({
    code: 'boot.worker-joined',
    level: 'info',
    message: `worker ${identity.instanceId} of ${cluster} has its node certificate from ${server}`,
    data: { server, nodeName: identity.instanceId },
  });
  return { installedBy: 'boot', server, nodeName: identity.instanceId, ...(eip ? { eip } : {}) };
}
