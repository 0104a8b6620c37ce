import { UsageError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { ControlPlaneOptions } from './control-plane-options.js';
import { loadEtcdTls } from './startup-files.js';
import { createStore } from './store/index.js';
import type { Store } from './store/types.js';

/** The control plane's store, opened from its flags. */
export interface OpenedStore {
  readonly store: Store;
  /** Ships the last records after the store closed. */
  readonly stopShipping: () => Promise<void>;
}

/**
 * Opens the store the flags ask for: the embedded store in `dataDir` (shipped to S3 with
 * `stateShipping`, fenced by `onFenced`), or etcd at `etcdEndpoints` with its TLS files (with
 * `stateShipping.backup`: scheduled backups to that bucket, taken while `isLeader`).
 */
export async function openStore(
  options: ControlPlaneOptions,
  events: EventSink,
  onFenced: () => void,
  isLeader: () => boolean = () => true,
): Promise<OpenedStore> {
  const dataDir = options.dataDir ?? '/var/lib/tugboat/control-plane';
  if (options.stateShipping && options.store === 'etcd') {
    // etcd keeps its own copies: nothing is shipped; the bucket is where the scheduled backups go.
    const store = await openPlainStore(options, dataDir, events);
    const { startEtcdBackups } = await import('./etcd-backups.js');
    return { store, stopShipping: startEtcdBackups(store, options.stateShipping, events, isLeader) };
  }
  if (options.stateShipping) {
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
    return createStore({
      kind: 'etcd',
      endpoints,
      events,
      ...(tls ? { tls } : {}),
      ...(options.etcdEndpointSyncIntervalMs !== undefined
        ? { endpointSyncIntervalMs: options.etcdEndpointSyncIntervalMs }
        : {}),
    });
  }
  return createStore({ kind: 'embedded', dataDir, events });
}
