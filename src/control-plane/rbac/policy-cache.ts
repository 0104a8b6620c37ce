import type { EventSink } from '../../events.js';
import type { Store, Watch, WatchEvent } from '../store/types.js';
import { PolicyIndex, type RbacPlural } from './policy-index.js';

/** Where the RBAC kinds live in the store (one prefix, so one watch sees them in revision order). */
export const RBAC_PREFIX = '/registry/rbac.authorization.k8s.io/';

const PLURALS = new Set<string>(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);
const decoder = new TextDecoder();

/** The RBAC objects of the store, kept current by a watch. */
export interface PolicyCache {
  readonly index: PolicyIndex;
  /** Resolves once the cache has seen store revision `revision` (or after `timeoutMs`). */
  waitFor(revision: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Splits `/registry/rbac.authorization.k8s.io/<plural>/[<ns>/]<name>`. */
function parseKey(key: string): { plural: RbacPlural; namespace?: string; name: string } | undefined {
  const parts = key.slice(RBAC_PREFIX.length).split('/');
  const plural = parts[0];
  if (!plural || !PLURALS.has(plural)) return undefined;
  const namespaced = plural === 'roles' || plural === 'rolebindings';
  if (namespaced && parts.length === 3)
    return { plural: plural as RbacPlural, namespace: parts[1]!, name: parts[2]! };
  if (!namespaced && parts.length === 2) return { plural: plural as RbacPlural, name: parts[1]! };
  return undefined;
}

function parseValue(value: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(value));
  } catch {
    return {};
  }
}

/**
 * Lists the RBAC objects, then follows one watch on their prefix (an informer of its own, so
 * several API servers on one etcd each see every change). A failed watch (compaction, store
 * restart) relists after a short back-off; the old policy keeps answering meanwhile.
 */
export async function startPolicyCache(
  store: Store,
  events: EventSink,
  onClusterRoleChange: () => void = () => {},
): Promise<PolicyCache> {
  const index = new PolicyIndex();
  let seen = 0;
  let watch: Watch | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const waiters = new Set<{ revision: number; resolve: () => void }>();

  const advance = (revision: number) => {
    if (revision > seen) seen = revision;
    for (const w of waiters) {
      if (seen >= w.revision) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };

  const apply = (batch: readonly WatchEvent[]) => {
    let roleChanged = false;
    for (const e of batch) {
      const where = parseKey(e.kv.key);
      if (where) {
        index.set(
          where.plural,
          where.namespace,
          where.name,
          e.type === 'delete' ? undefined : parseValue(e.kv.value),
        );
        if (where.plural === 'clusterroles') roleChanged = true;
      }
      advance(e.kv.modRevision);
    }
    if (roleChanged) onClusterRoleChange();
  };

  const sync = async () => {
    const listed = await store.range(RBAC_PREFIX, { prefix: true });
    index.clear();
    for (const kv of listed.kvs) {
      const where = parseKey(kv.key);
      if (where) index.set(where.plural, where.namespace, where.name, parseValue(kv.value));
    }
    advance(listed.revision);
    watch = await store.watch(
      RBAC_PREFIX,
      { prefix: true, startRevision: listed.revision + 1 },
      {
        onEvents: apply,
        onError: (err) => {
          events.emit({
            code: 'rbac.watch.failed',
            level: 'warn',
            message: `the RBAC policy watch ended (${err.message}); relisting`,
            data: { reason: err.reason },
          });
          void watch?.cancel();
          resync();
        },
      },
    );
  };

  const resync = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (!stopped) sync().catch(() => resync());
    }, 500);
  };

  await sync();
  return {
    index,
    waitFor: (revision, timeoutMs = 2000) =>
      seen >= revision
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const w = { revision, resolve };
            waiters.add(w);
            setTimeout(() => {
              waiters.delete(w);
              resolve();
            }, timeoutMs).unref();
          }),
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await watch?.cancel();
      for (const w of waiters) w.resolve();
      waiters.clear();
    },
  };
}
