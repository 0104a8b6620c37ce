import type http from 'node:http';
import type https from 'node:https';
import type { EventSink } from '../../events.js';
import type { ConnectionLimits } from '../../net/connection-guard.js';
import type { AuthenticatorOptions } from '../auth/authenticate.js';
import type { Store } from '../store/types.js';
import type { MetricsScraperOptions } from './metrics-scraper.js';
import type { NodeProxyOptions } from './node-proxy.js';
import type { ServiceAccountTokenOptions } from './service-accounts.js';
import type { ServingTls } from './serving.js';

/** Dependencies and settings of {@link buildApiServer}. */
export interface ApiServerOptions {
  readonly store: Store;
  /** Serve HTTPS with these. Required unless `insecureLoopbackHttp`. */
  readonly tls?: ServingTls;
  /** Plain HTTP where every unauthenticated request is an admin: tests on loopback only. @default false */
  readonly insecureLoopbackHttp?: boolean;
  /** Bearer tokens (from --token-auth-file). @default none */
  readonly tokens?: AuthenticatorOptions['tokens'];
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** The Kubernetes minor version reported by /version (kubectl picks its binary by it). @default '32' */
  readonly minorVersion?: string;
  /** Larger request bodies answer 413. @default 3 MiB */
  readonly maxBodyBytes?: number;
  /** Larger objects answer 413. @default 1.5 MiB */
  readonly maxObjectBytes?: number;
  /** @default 30_000 */
  readonly bookmarkIntervalMs?: number;
  /** Watches without timeoutSeconds end after 1–2× this. @default 1800 */
  readonly minWatchTimeoutSeconds?: number;
  /** How to reach node agents for pods/log and pods/exec. @default agents on port 10250 without client TLS */
  readonly nodeProxy?: NodeProxyOptions;
  /**
   * Handshake, header, body and idle timeouts and the per-address connection cap
   * (docs/api-limits.md). @default the defaults of ConnectionLimits
   */
  readonly connections?: ConnectionLimits;
  /** kube-apiserver's --service-cluster-ip-range: where Services get their cluster IPs. @default '10.96.0.0/12' */
  readonly serviceClusterIpRange?: string;
  /**
   * Keep the `kubernetes` Service and its Endpoints (this address, the port the server listens on)
   * in `default`, as kube-apiserver does with --advertise-address. @default off
   */
  readonly advertiseAddress?: string;
  /**
   * Scrape the agents' `/stats/summary` through `nodeProxy` and serve metrics.k8s.io (`kubectl
   * top`), as metrics-server does. Off by default: a scraper connects to every Ready node's
   * InternalIP. @default off
   */
  readonly metrics?: Omit<MetricsScraperOptions, 'nodeProxy'>;
  /**
   * The cluster's join token (`<id>.<secret>`): its bootstrap token Secret is kept in kube-system
   * (see join-token.ts). @default none
   */
  readonly joinToken?: string;
  /** Period of the expired bootstrap token cleaner. @default 10_000 */
  readonly bootstrapTokenCleanerIntervalMs?: number;
  /** Period of the CustomResourceDefinition resync (writes through this server sync at once). @default 5000 */
  readonly customResourceResyncMs?: number;
  /** Period of the `kubernetes` Service controller. @default 10_000 */
  readonly kubernetesServiceIntervalMs?: number;
  /**
   * How long another API server's unrenewed lease keeps its address in the `kubernetes`
   * Endpoints (docs/ha-masters.md). @default 15_000
   */
  readonly apiServerLeaseDurationMs?: number;
  /**
   * Service-account tokens: TokenRequest, their authenticator, issuer discovery and the pod
   * admission that mounts them (docs/service-accounts.md). @default off
   */
  readonly serviceAccounts?: ServiceAccountTokenOptions;
}

/** A built (not listening) API server. */
export interface ApiServer {
  readonly server: http.Server | https.Server;
  /** Resolves once the default namespaces exist; requests wait for it. */
  readonly ready: Promise<void>;
  /**
   * Graceful stop: no new connections, idle keep-alive connections and open watches end at once,
   * in-flight requests get up to `graceMs` (default 10 s) to finish. Does not close the store.
   */
  close(graceMs?: number): Promise<void>;
}
