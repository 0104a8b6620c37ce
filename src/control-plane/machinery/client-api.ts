import { isNotFound, statusError } from '../../client/api-error.js';
import type { KubeClient } from '../../client/client.js';
import { buildPath } from '../../client/paths.js';
import type { KubeObject, Status } from '../../kube/index.js';
import type { ControllerApi, WatchEventType, WatchHandle } from './api.js';
import type { ResourceType } from './resources.js';

/**
 * The ControllerApi over the typed REST client (src/client), so the scheduler and controllers
 * talk to the API server exactly as the agent and kubectl do.
 */
export function clientControllerApi(client: KubeClient): ControllerApi {
  return {
    get: async (r, namespace, name) => {
      try {
        return (await client.get(r, name, namespace)) as never;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    list: async (r, options) => {
      const list = await client.list(r, options?.namespace ? { namespace: options.namespace } : {});
      return { items: list.items as never[], resourceVersion: list.metadata.resourceVersion ?? '' };
    },
    watch: async <T extends KubeObject>(
      r: ResourceType,
      options: { resourceVersion: string; namespace?: string },
      handlers: { onEvent: (type: WatchEventType, object: T) => void; onClose: (err?: unknown) => void },
    ): Promise<WatchHandle> => {
      const abort = new AbortController();
      const stream = client.watch(r, {
        resourceVersion: options.resourceVersion,
        signal: abort.signal,
        ...(options.namespace ? { namespace: options.namespace } : {}),
      });
      void (async () => {
        try {
          for await (const ev of stream) {
            if (ev.type === 'ERROR') {
              const status = ev.object as unknown as Status;
              throw statusError(
                status.code ?? 500,
                status.reason ?? 'Error',
                status.message ?? 'watch error',
              );
            }
            handlers.onEvent(ev.type, ev.object as unknown as T);
          }
          if (!abort.signal.aborted) handlers.onClose(undefined);
        } catch (err) {
          if (!abort.signal.aborted) handlers.onClose(err);
        }
      })();
      return { stop: () => abort.abort() };
    },
    create: async (r, obj) => (await client.create(r, obj)) as never,
    update: async (r, obj) => (await client.update(r, obj)) as never,
    updateStatus: async (r, obj) => (await client.updateStatus(r, obj)) as never,
    patch: async (r, namespace, name, patch, options) =>
      (await client.patch(r, name, patch, {
        ...(namespace ? { namespace } : {}),
        ...(options?.subresource ? { subresource: options.subresource } : {}),
      })) as never,
    delete: async (r, namespace, name, options) => {
      await client.delete(r, name, { ...(namespace ? { namespace } : {}), ...options });
    },
    bind: async (namespace, podName, nodeName, podUid) => {
      const pods = { group: '', version: 'v1', resource: 'pods', namespaced: true };
      await client.transport.json({
        method: 'POST',
        path: buildPath(pods, { namespace, name: podName, subresource: 'binding' }),
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: podName, namespace, ...(podUid ? { uid: podUid } : {}) },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
      });
    },
  };
}
