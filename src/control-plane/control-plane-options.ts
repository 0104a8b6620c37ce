import type { EventSink } from '../events.js';
import type { CloudProviderOptions } from './cloud-provider.js';
import type { LoopbackControllersOptions } from './controllers/loopback.js';
import type { StateShippingOptions } from './state-shipping.js';

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
  /**
   * How often the etcd client replaces its endpoints with the client URLs of etcd's started
   * members (clientv3's AutoSyncInterval); 0 keeps `etcdEndpoints` for good. @default 60_000
   */
  readonly etcdEndpointSyncIntervalMs?: number;
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
