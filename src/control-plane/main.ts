import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { UsageError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { parseListen } from '../listen.js';
import { ipv4ToNumber } from '../net/ipv4.js';
import { type CertificateAuthority, loadCa } from '../pki/authority.js';
import { DEFAULT_SERVICE_CIDR, parseServiceRange } from './api/cluster-ips.js';
import { type ApiServer, buildApiServer } from './api/server.js';
import type { ServiceAccountTokenOptions } from './api/service-accounts.js';
import { parseBootstrapToken } from './auth/bootstrap-token.js';
import { parseTokenFile } from './auth/token-file.js';
import { type CloudProviderOptions, cloudInstanceVerifier } from './cloud-provider.js';
import { manualApproval } from './controllers/instance-verifier.js';
import {
  createLoopbackToken,
  type LoopbackControllersOptions,
  loopbackUser,
  startLoopbackControllers,
} from './controllers/loopback.js';
import { buildNodeIpamRange } from './controllers/node-ipam.js';
import { DEFAULT_ISSUER } from './serviceaccounts/claims.js';
import { loadServiceAccountKeys, type ServiceAccountKeys } from './serviceaccounts/keys.js';
import type { StateShippingOptions } from './state-shipping.js';
import { createStore, type EtcdTlsOptions } from './store/index.js';
import type { Store } from './store/types.js';

/** Options of `tugboat control-plane` (flag names follow kube-apiserver's where they exist). */
export interface ControlPlaneOptions {
  /** Data directory of the embedded store. @default '/var/lib/tugboat/control-plane' */
  readonly dataDir?: string;
  /** @default 'embedded' */
  readonly store?: 'embedded' | 'etcd';
  /** etcd client URLs when `store` is etcd, e.g. `http://127.0.0.1:2379`. @default [] */
  readonly etcdEndpoints?: readonly string[];
  /** CA (PEM file) that signed the etcd members, as kube-apiserver's --etcd-cafile. @default plain gRPC */
  readonly etcdCaFile?: string;
  /** Client certificate and key (PEM files) for etcd's --client-cert-auth. @default none */
  readonly etcdCertFile?: string;
  readonly etcdKeyFile?: string;
  /** Serving certificate (PEM). Required unless `insecureLoopbackHttp`. */
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  /** CA whose client certificates authenticate users (CN = user, O = groups). @default none */
  readonly clientCaFile?: string;
  /** kube-apiserver style token file: `token,user,uid,"group1,group2"`. @default none */
  readonly tokenAuthFile?: string;
  /**
   * Cluster CA certificate and key the CSR signer issues node certificates with (as
   * kube-controller-manager's flags). With them the CSR approver and signer run; without them
   * neither does. Automatic approval needs a cloud verifier; here nothing is approved on its own
   * (admins approve with kubectl). @default none
   */
  readonly clusterSigningCertFile?: string;
  readonly clusterSigningKeyFile?: string;
  /**
   * A file holding the cluster's join token (`<id>.<secret>`, the one workers read from SSM): its
   * bootstrap token Secret is kept in kube-system, so instances join without a laptop. @default none
   */
  readonly joinTokenFile?: string;
  /**
   * The cloud this control plane runs in: the CSR approver then approves node client
   * certificates for running instances of the cluster (with the signing CA), and Nodes whose
   * instance is gone are deleted. @default none (manual approval, no cloud node cleanup)
   */
  readonly cloud?: CloudProviderOptions;
  /** How often the cloud node-lifecycle controller looks at NotReady Nodes. @default 5000 */
  readonly cloudNodeMonitorPeriodMs?: number;
  /** Client certificate the API server presents to node agents (logs, exec). @default none */
  readonly kubeletClientCertificate?: string;
  readonly kubeletClientKey?: string;
  /**
   * How often the metrics scraper reads every agent's `/stats/summary` (metrics-server's
   * --metric-resolution); it runs when the kubelet client certificate is given. @default 15_000
   */
  readonly metricResolutionMs?: number;
  /** host:port to listen on. @default '0.0.0.0:6443' */
  readonly listen?: string;
  /** Plain HTTP, every caller an admin; only on 127.0.0.1, only for tests. @default false */
  readonly insecureLoopbackHttp?: boolean;
  /** Reported by /version (kubectl picks its binary by it). @default '32' */
  readonly minorVersion?: string;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** Where Services get their cluster IPs (as kube-apiserver's flag). @default '10.96.0.0/12' */
  readonly serviceClusterIpRange?: string;
  /**
   * IPv4 address the `kubernetes` Service's Endpoints point at (as kube-apiserver's flag).
   * @default the --listen address when it is one, else the host's first non-loopback IPv4 address
   */
  readonly advertiseAddress?: string;
  /**
   * Run the scheduler and controllers in this process (leader-elected, so several instances on
   * one etcd run them once), or `false` for an API server only. @default {}
   */
  readonly controllers?: Omit<LoopbackControllersOptions, 'url' | 'token' | 'ca' | 'events'> | false;
  /**
   * Ship the embedded store's log and snapshots to S3 (`--state-bucket`, `--state-prefix`) and
   * restore an empty data directory from there; region and endpoint come from the AWS environment.
   * @default off
   */
  readonly stateShipping?: StateShippingOptions;
  /**
   * Called when a newer master claimed the store (S3 fencing); the control plane has begun its
   * graceful stop and serves no more writes. @default none
   */
  readonly onFenced?: () => void;
  /**
   * Private key (PEM, RSA ≥ 2048 or ECDSA P-256) that signs service-account tokens; turns on
   * TokenRequest, the token authenticator, issuer discovery and token volumes. @default off
   */
  readonly serviceAccountSigningKeyFile?: string;
  /** More PEM keys that verify tokens (e.g. the previous key during a rotation). @default [] */
  readonly serviceAccountKeyFiles?: readonly string[];
  /** The `iss` of issued tokens. @default 'https://kubernetes.default.svc.cluster.local' */
  readonly serviceAccountIssuer?: string;
  /** Audiences the API server accepts in tokens. @default [the issuer] */
  readonly apiAudiences?: readonly string[];
}

/** A listening control plane. */
export interface RunningControlPlane {
  readonly url: string;
  readonly api: ApiServer;
  /** Graceful shutdown: stop accepting, end watches and open requests, then flush and close the store. */
  stop(): Promise<void>;
}

async function readOptional(file: string | undefined, flag: string): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `${flag} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): check the path and permissions`,
    );
  }
}

/**
 * Reads several optional flag files at once; when more than one cannot be read, the error names the
 * first in argument order (not whichever read failed first), so the message is the same on every run.
 */
async function readOptionalAll(
  files: readonly (readonly [string | undefined, string])[],
): Promise<(string | undefined)[]> {
  const results = await Promise.allSettled(files.map(([file, flag]) => readOptional(file, flag)));
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

/** The service-account token settings from the --service-account-* flags (undefined: tokens off). */
async function loadServiceAccountOptions(
  options: ControlPlaneOptions,
  rootCa: string | undefined,
): Promise<ServiceAccountTokenOptions | undefined> {
  const signingFile = options.serviceAccountSigningKeyFile;
  if (!signingFile) {
    if (options.serviceAccountKeyFiles?.length)
      throw new UsageError(
        '--service-account-key-file needs --service-account-signing-key-file: pass the private key that signs tokens',
      );
    return undefined;
  }
  const signing = await readOptional(signingFile, '--service-account-signing-key-file');
  const keyFiles = options.serviceAccountKeyFiles ?? [];
  const pems = await readOptionalAll(keyFiles.map((file) => [file, '--service-account-key-file'] as const));
  const verifying = keyFiles.map((file, i) => ({
    pem: pems[i]!,
    source: `--service-account-key-file ${file}`,
  }));
  let keys: ServiceAccountKeys;
  try {
    keys = loadServiceAccountKeys(
      { pem: signing!, source: `--service-account-signing-key-file ${signingFile}` },
      verifying,
    );
  } catch (err) {
    throw new UsageError(`${(err as Error).message}: generate one with openssl genpkey -algorithm RSA`);
  }
  const issuer = options.serviceAccountIssuer ?? DEFAULT_ISSUER;
  // Verifiers fetch the discovery documents from the issuer URL, so it must be https.
  if (!/^https:\/\/[^/]/.test(issuer))
    throw new UsageError(`--service-account-issuer ${issuer} is not an https URL: e.g. ${DEFAULT_ISSUER}`);
  return { keys, issuer, apiAudiences: options.apiAudiences ?? [issuer], rootCa };
}

/** kube-apiserver's fallback: the bind address when it is one, else the host's first IPv4 address. */
function defaultAdvertiseAddress(listenHost: string): string {
  if (ipv4ToNumber(listenHost) !== undefined && listenHost !== '0.0.0.0') return listenHost;
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

interface OpenedStore {
  readonly store: Store;
  /** Ships the last records after the store closed. */
  readonly stopShipping: () => Promise<void>;
}

async function openStore(
  options: ControlPlaneOptions,
  events: EventSink,
  onFenced: () => void,
): Promise<OpenedStore> {
  const dataDir = options.dataDir ?? '/var/lib/tugboat/control-plane';
  if (options.stateShipping) {
    if ((options.store ?? 'embedded') !== 'embedded')
      throw new UsageError(
        '--state-bucket ships the embedded store: drop it with --store etcd (etcd keeps its own copies)',
      );
    const { openShippedStore } = await import('./state-shipping.js');
    const { store, stop } = await openShippedStore(dataDir, options.stateShipping, events, onFenced);
    return { store, stopShipping: stop };
  }
  return { store: await openPlainStore(options, dataDir, events), stopShipping: async () => undefined };
}

async function openPlainStore(
  options: ControlPlaneOptions,
  dataDir: string,
  events: EventSink,
): Promise<Store> {
  if ((options.store ?? 'embedded') === 'etcd') {
    const endpoints = options.etcdEndpoints ?? [];
    if (endpoints.length === 0)
      throw new UsageError(
        '--store etcd needs --etcd-endpoints, e.g. --etcd-endpoints http://127.0.0.1:2379',
      );
    const tls = await loadEtcdTls(options, endpoints);
    return createStore({ kind: 'etcd', endpoints, events, ...(tls ? { tls } : {}) });
  }
  return createStore({ kind: 'embedded', dataDir, events });
}

/** Checks the etcd endpoint URLs and reads the --etcd-* TLS files; usage errors before any connection. */
async function loadEtcdTls(
  options: ControlPlaneOptions,
  endpoints: readonly string[],
): Promise<EtcdTlsOptions | undefined> {
  const [ca, cert, key] = await readOptionalAll([
    [options.etcdCaFile, '--etcd-cafile'],
    [options.etcdCertFile, '--etcd-certfile'],
    [options.etcdKeyFile, '--etcd-keyfile'],
  ]);
  for (const endpoint of endpoints) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
      throw new UsageError(
        `--etcd-endpoints: ${JSON.stringify(endpoint)} is not an etcd client URL: use https://HOST:2379`,
      );
  }
  const https = endpoints.some((e) => e.startsWith('https:'));
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--etcd-certfile and --etcd-keyfile go together: give both or neither');
  if (ca === undefined) {
    if (https || cert !== undefined)
      throw new UsageError(
        'https:// etcd endpoints and --etcd-certfile need --etcd-cafile (the CA of the members)',
      );
    return undefined;
  }
  if (!https)
    throw new UsageError('--etcd-cafile is for https:// etcd endpoints: use https:// in --etcd-endpoints');
  return { ca, ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
}

/** The join token from --join-token-file, checked; undefined without the flag. */
async function loadJoinToken(options: ControlPlaneOptions): Promise<string | undefined> {
  const [text] = await readOptionalAll([[options.joinTokenFile, '--join-token-file']]);
  if (text === undefined) return undefined;
  const token = text.trim();
  if (!parseBootstrapToken(token))
    throw new UsageError(
      '--join-token-file must hold one bootstrap token: 6 then 16 characters of [a-z0-9], joined by a dot',
    );
  return token;
}

async function loadSigningCa(options: ControlPlaneOptions): Promise<CertificateAuthority | undefined> {
  const [cert, key] = await readOptionalAll([
    [options.clusterSigningCertFile, '--cluster-signing-cert-file'],
    [options.clusterSigningKeyFile, '--cluster-signing-key-file'],
  ]);
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new UsageError('pass both --cluster-signing-cert-file and --cluster-signing-key-file, or neither');
  try {
    return loadCa(cert, key);
  } catch (err) {
    throw new UsageError(`--cluster-signing-cert-file/--cluster-signing-key-file: ${(err as Error).message}`);
  }
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
  const { store, stopShipping } = await openStore(options, events, fenced);
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
