import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { UsageError } from '../errors.js';
import { silentEvents } from '../events.js';
import { parseListen } from '../listen.js';
import { ipv4ToNumber } from '../net/ipv4.js';
import { DEFAULT_SERVICE_CIDR, parseServiceRange } from './api/cluster-ips.js';
import { type ApiServer, buildApiServer } from './api/server.js';
import { parseTokenFile } from './auth/token-file.js';
import { cloudInstanceVerifier } from './cloud-provider.js';
import type { ControlPlaneOptions } from './control-plane-options.js';
import { manualApproval } from './controllers/instance-verifier.js';
import { createLoopbackToken, loopbackUser, startLoopbackControllers } from './controllers/loopback.js';
import { buildNodeIpamRange } from './controllers/node-ipam.js';
import { openStore } from './open-store.js';
import { loadJoinToken, loadServiceAccountOptions, loadSigningCa, readOptionalAll } from './startup-files.js';

export type { ControlPlaneOptions } from './control-plane-options.js';

/** A listening control plane. */
export interface RunningControlPlane {
  readonly url: string;
  readonly api: ApiServer;
  /** Graceful shutdown: stop accepting, end watches and open requests, then flush and close the store. */
  stop(): Promise<void>;
}

/** kube-apiserver's fallback: the bind address when it is one, else the host's first IPv4 address. */
function defaultAdvertiseAddress(listenHost: string): string {
  if (ipv4ToNumber(listenHost) !== undefined && listenHost !== '0.0.0.0') return listenHost;
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/**
 * Composition root of the control plane: reads certificates and tokens, opens the store, builds
 * the API server and listens. Emits `control-plane.listening`; call `stop()` on SIGTERM.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<RunningControlPlane> {
  const events = options.events ?? silentEvents;
  const { host, port } = parseListen(
    options.listen ?? '0.0.0.0:6443',
    '--listen',
    '0.0.0.0:6443 or 127.0.0.1:6443',
  );
  const insecure = options.insecureLoopbackHttp ?? false;
  if (insecure && host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    throw new UsageError(
      `--insecure-loopback-http only listens on loopback, not ${host}: use --listen 127.0.0.1:PORT`,
    );
  }
  const ipam = options.controllers ? options.controllers.controllers?.nodeIpam : undefined;
  if (ipam) {
    try {
      buildNodeIpamRange(ipam);
    } catch (err) {
      throw new UsageError(`--cluster-cidr/--node-cidr-mask-size: ${(err as Error).message}`);
    }
  }
  try {
    parseServiceRange(options.serviceClusterIpRange ?? DEFAULT_SERVICE_CIDR);
  } catch (err) {
    throw new UsageError(`--service-cluster-ip-range: ${(err as Error).message}`);
  }
  const advertiseAddress = options.advertiseAddress ?? defaultAdvertiseAddress(host);
  if (ipv4ToNumber(advertiseAddress) === undefined) {
    throw new UsageError(
      `--advertise-address ${advertiseAddress} is not an IPv4 address: pass the address other hosts reach this server on, e.g. --advertise-address 10.0.1.10`,
    );
  }
  if (!insecure && (!options.tlsCertFile || !options.tlsPrivateKeyFile)) {
    throw new UsageError('the API server serves TLS only: pass --tls-cert-file and --tls-private-key-file');
  }
  const signingCa = await loadSigningCa(options);
  const joinToken = await loadJoinToken(options);
  const cloudVerifier = options.cloud ? await cloudInstanceVerifier(options.cloud) : undefined;
  const [cert, key, clientCa, tokenText, kubeletCert, kubeletKey] = await readOptionalAll([
    [options.tlsCertFile, '--tls-cert-file'],
    [options.tlsPrivateKeyFile, '--tls-private-key-file'],
    [options.clientCaFile, '--client-ca-file'],
    [options.tokenAuthFile, '--token-auth-file'],
    [options.kubeletClientCertificate, '--kubelet-client-certificate'],
    [options.kubeletClientKey, '--kubelet-client-key'],
  ]);
  const serviceAccounts = await loadServiceAccountOptions(options, clientCa);
  const tokens = new Map(tokenText === undefined ? [] : parseTokenFile(tokenText, options.tokenAuthFile));
  const loopbackToken = createLoopbackToken();
  tokens.set(loopbackToken, { name: loopbackUser.name, groups: [...loopbackUser.groups] });
  let stopAll: () => Promise<void> = async () => undefined;
  let wasFenced = false;
  const fenced = () => {
    wasFenced = true;
    events.emit({
      code: 'control-plane.fenced',
      level: 'error',
      message: 'a newer master took over the cluster state: shutting down so two masters never both serve',
    });
    void stopAll();
    options.onFenced?.();
  };
  // The controllers' leader takes the scheduled backups of etcd (one writer per tick); an API
  // server without controllers has no election and takes them itself.
  let isLeader: () => boolean = () => options.controllers === false;
  const { store, stopShipping } = await openStore(options, events, fenced, () => isLeader());
  const api = buildApiServer({
    store,
    tls: insecure ? undefined : { cert: cert!, key: key!, clientCa },
    insecureLoopbackHttp: insecure,
    tokens,
    events,
    minorVersion: options.minorVersion,
    serviceClusterIpRange: options.serviceClusterIpRange,
    advertiseAddress,
    serviceAccounts,
    ...(joinToken ? { joinToken } : {}),
    nodeProxy:
      kubeletCert && kubeletKey && clientCa
        ? { tls: { cert: kubeletCert, key: kubeletKey, ca: clientCa } }
        : undefined,
    // With a kubelet client certificate the API server can reach agents, so it scrapes them too.
    metrics: kubeletCert && kubeletKey && clientCa ? { intervalMs: options.metricResolutionMs } : undefined,
  });
  try {
    await api.ready;
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(port, host, () => resolve());
    });
  } catch (err) {
    await api.close();
    await store.close();
    await stopShipping();
    throw new UsageError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  const addr = api.server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${insecure ? 'http' : 'https'}://${shownHost}:${addr.port}`;
  events.emit({
    code: 'control-plane.listening',
    level: 'info',
    message: `API server listening on ${url}`,
    data: { url, store: options.store ?? 'embedded' },
  });
  const loopbackHost = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : shownHost;
  const loops =
    options.controllers === false
      ? undefined
      : startLoopbackControllers({
          ...options.controllers,
          ...(signingCa
            ? { certificates: { ca: signingCa, verifier: cloudVerifier ?? manualApproval } }
            : {}),
          ...(cloudVerifier
            ? {
                cloudNodes: {
                  verifier: cloudVerifier,
                  ...(options.cloudNodeMonitorPeriodMs ? { periodMs: options.cloudNodeMonitorPeriodMs } : {}),
                },
              }
            : {}),
          url: `${insecure ? 'http' : 'https'}://${loopbackHost}:${addr.port}`,
          token: loopbackToken,
          ca: clientCa ?? cert,
          events,
        });
  if (loops) isLeader = () => loops.isLeader();
  let stopping: Promise<void> | undefined;
  stopAll = () => running.stop();
  const running: RunningControlPlane = {
    url,
    api,
    stop() {
      stopping ??= (async () => {
        events.emit({ code: 'control-plane.stopping', level: 'info', message: 'API server shutting down' });
        await loops?.stop();
        await api.close();
        await store.close();
        await stopShipping();
        events.emit({
          code: 'control-plane.stopped',
          level: 'info',
          message: 'API server stopped; store closed',
        });
      })();
      return stopping;
    },
  };
  // Fenced while still starting: stop now that there is something to stop.
  if (wasFenced) void running.stop();
  return running;
}
