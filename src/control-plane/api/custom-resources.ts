import { CrdReconciler } from '../apiextensions/crd-controller.js';
import { customResourceDefinitions } from '../apiextensions/crd-resource.js';
import type { ApiContext } from './context.js';
import { decodeObject, resourcePrefix } from './objects.js';
import { mapStoreError } from './resource-store.js';
import { ApiError } from './status.js';
import { deleteObject } from './write.js';

/** The CRD reconciler of one API server and the loop that resyncs it. */
export interface CustomResources {
  /** Reconciles every CRD now (after a CRD write, and once before the server is ready). */
  sync(): Promise<void>;
  /** Starts the periodic resync (catches CRD writes this server did not see, and retries). */
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

/** Builds the CRD reconciler over the server's store and catalog (docs/custom-resources.md). */
export function buildCustomResources(ctx: ApiContext): CustomResources {
  const def = customResourceDefinitions;
  const reconciler = new CrdReconciler({
    catalog: ctx.catalog,
    now: ctx.now,
    events: ctx.events,
    listCrds: async () => {
      const prefix = resourcePrefix(def);
      const res = await ctx.resources.store.range(prefix, { prefix: true }).catch(mapStoreError);
      return res.kvs.map((kv) => ({
        name: kv.key.slice(prefix.length),
        revision: String(kv.modRevision),
        read: () => decodeObject(kv),
      }));
    },
    update: (name, mutate) => ctx.resources.update(def, undefined, name, mutate),
    deleteInstances: async (d) => {
      // Bounded pages: a CRD with very many objects is emptied a page at a time. Objects with
      // finalizers only get a deletionTimestamp here (a delete of one already marked writes nothing).
      let from: string | undefined;
      do {
        const page = await ctx.resources.list(d, undefined, { limit: 500, startKey: from });
        for (const obj of page.items)
          await deleteObject(ctx, d, obj.metadata?.namespace, String(obj.metadata?.name), {}).catch(
            (err: unknown) => {
              if (!(err instanceof ApiError && err.code === 404)) throw err;
            },
          );
        from = page.nextKey;
      } while (from);
      const left = await ctx.resources.store.range(resourcePrefix(d), { prefix: true, limit: 1 });
      return left.kvs.length === 0;
    },
    remove: async (crd) => {
      await ctx.resources.delete(
        def,
        undefined,
        String(crd.metadata?.name),
        Number(crd.metadata?.resourceVersion),
      );
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    sync: () => reconciler.sync(),
    start(intervalMs = 5000) {
      const tick = () => {
        if (stopped) return;
        reconciler
          .sync()
          .catch((err: unknown) =>
            ctx.events.emit({ code: 'crd.resync.failed', level: 'warn', message: String(err), data: {} }),
          )
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, intervalMs);
          });
      };
      timer = setTimeout(tick, intervalMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await reconciler.idle();
    },
  };
}
