import type { EmbeddedStoreOptions } from './embedded/embedded-store.js';
import type { RepairOptions, RepairReport } from './embedded/repair.js';
import type { EtcdStoreOptions } from './etcd.js';
import type { Store } from './types.js';

export { StoreDamageError } from './embedded/damage.js';
export type { EmbeddedStoreOptions } from './embedded/embedded-store.js';
export type { RepairOptions, RepairReport, RepairStep } from './embedded/repair.js';
export type { EtcdStoreOptions, EtcdTlsOptions } from './etcd.js';
export * from './types.js';

/** Which backend {@link createStore} opens. */
export type StoreConfig =
  | ({ readonly kind: 'embedded' } & EmbeddedStoreOptions)
  | ({ readonly kind: 'etcd' } & EtcdStoreOptions);

/**
 * Opens the configured store. Each backend is imported only when chosen, so an embedded control
 * plane never loads the gRPC stack and an etcd one never touches a data directory.
 */
export async function createStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'embedded') {
    const { openEmbeddedStore } = await import('./embedded/embedded-store.js');
    const { kind: _kind, ...options } = config;
    return openEmbeddedStore(options);
  }
  const { openEtcdStore } = await import('./etcd.js');
  const { kind: _kind, ...options } = config;
  return openEtcdStore(options);
}

/**
 * The explicit recovery for an embedded store that refuses to start (`tugboat store repair`): cuts
 * a damaged log at the damage, or sets a damaged snapshot aside, keeping copies; see docs/store.md.
 */
export async function repairEmbeddedStore(dataDir: string, options?: RepairOptions): Promise<RepairReport> {
  const { repairStore } = await import('./embedded/repair.js');
  return repairStore(dataDir, options);
}
