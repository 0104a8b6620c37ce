import type { Cidr } from '../../config/cidr.js';
import type { EventSink } from '../../events.js';
import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceStore } from './resource-store.js';

/** What request handlers share: persistence, the clock and limits. */
export interface ApiContext {
  readonly resources: ResourceStore;
  /** The served resources: built-ins plus those of established CustomResourceDefinitions. */
  readonly catalog: ResourceCatalog;
  readonly now: () => Date;
  readonly events: EventSink;
  /** Period of BOOKMARK events on watches that allow them. */
  readonly bookmarkIntervalMs: number;
  /**
   * Watches without `timeoutSeconds` end after a random time between this and twice this, so
   * clients re-watch and connections spread over instances (kube-apiserver's --min-request-timeout).
   */
  readonly minWatchTimeoutSeconds: number;
  /** Open watches, each with the function that ends it (shutdown ends them all). */
  readonly watches: Set<() => void>;
  /** Where Services get their cluster IPs (kube-apiserver's --service-cluster-ip-range). */
  readonly serviceRange: Cidr;
}
