import type { EventSink } from '../../events.js';
import type { ResourceStore } from './resource-store.js';

/** What request handlers share: persistence, the clock and limits. */
export interface ApiContext {
  readonly resources: ResourceStore;
  readonly now: () => Date;
  readonly events: EventSink;
  /** Period of BOOKMARK events on watches that allow them. */
  readonly bookmarkIntervalMs: number;
}
