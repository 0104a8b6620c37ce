import type { EventSink } from '../../events.js';
import type { EtcdTlsOptions } from './etcd-client.js';

/** Options of the etcd store (`openEtcdStore` in etcd.ts). */
export interface EtcdStoreOptions {
  /** Client URLs of the members, e.g. `https://10.0.0.5:2379`. */
  readonly endpoints: readonly string[];
  /** Every key lives under this prefix, so one etcd can serve several clusters. @default '/tugboat' */
  readonly prefix?: string;
  /** @default plain gRPC (only sensible on loopback) */
  readonly tls?: EtcdTlsOptions;
  /** Largest value accepted. @default 1572864 (1.5 MiB, etcd's request limit) */
  readonly maxValueBytes?: number;
  /** Retry a request for this long while etcd has no leader or a member is down. @default 15000 */
  readonly retryTimeoutMs?: number;
  /**
   * Every interval, compact etcd's history to the revision seen one interval earlier (what the
   * kube-apiserver does), so etcd's database does not grow until it hits its quota; 0 disables.
   * @default 300000 (5 minutes)
   */
  readonly compactIntervalMs?: number;
  /**
   * Every interval, set the endpoints to the client URLs of the members etcd lists (as clientv3's
   * AutoSyncInterval), so a master replaced with a new address is found; the configured list is
   * kept while no member answers. 0 disables (e.g. when etcd is reached through a proxy whose
   * address the members do not advertise). @default 60000
   */
  readonly endpointSyncIntervalMs?: number;
  /**
   * Receives `store.retry`, `store.compacted`, `store.endpoints-synced` and
   * `store.endpoint-sync-failed` events. @default silentEvents
   */
  readonly events?: EventSink;
}
