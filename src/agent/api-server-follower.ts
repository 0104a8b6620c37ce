import type { KubeClient } from '../client/client.js';
import { runListWatch } from '../client/list-watch.js';
import { resources } from '../client/types.js';
import type { EventSink } from '../events.js';
import type { Endpoints } from '../kube/index.js';
import { buildApiServerUrls, saveApiServers } from './api-server-list.js';

/** Options of `startApiServerFollower`. */
export interface ApiServerFollowerOptions {
  /** The agent's client: its transport's server list is what the follower keeps current. */
  readonly client: KubeClient;
  /** The servers the agent was configured with (`server`, then `failoverServers`). */
  readonly configured: readonly string[];
  /** Where api-servers.json is saved. */
  readonly dataDir: string;
  readonly events: EventSink;
  /** First wait after a failed list or watch (doubling, up to 30 s). @default 500 */
  readonly retryDelayMs?: number;
}

/** A running follower. */
export interface ApiServerFollower {
  /** Resolves once the Endpoints were first listed (and applied). */
  readonly synced: Promise<void>;
  /** Stops the list-watch; resolves when it has ended. */
  stop(): Promise<void>;
}

/**
 * Keeps the agent's API server list equal to the `default/kubernetes` Endpoints (as k3s agents
 * do), so an agent whose installed masters were all replaced still reaches the cluster: every
 * listed `https://<ip>:<port>` becomes a server (the configured ones kept after them as a
 * fallback), and the list is saved to
 * `<dataDir>/api-servers.json` for the next start. While the Endpoints list no address, the
 * configured servers are used, plus the one answering now. The masters' serving certificates
 * name each master's advertised IP (master-boot, bootstrap inventory), so IP URLs verify.
 */
export function startApiServerFollower(options: ApiServerFollowerOptions): ApiServerFollower {
  const { client, events } = options;
  const transport = client.transport;
  let last = '';
  const apply = (endpoints: Endpoints | undefined) => {
    const urls = buildApiServerUrls(endpoints);
    // The configured servers stay last: if every listed address fails (its certificate does not
    // verify, a stale list), the installed ones (a master's Elastic IP, the API name) still serve.
    const { applied, rejected } =
      urls.length > 0
        ? transport.setServers(urls, options.configured)
        : transport.setServers([...options.configured, transport.server]);
    if (rejected.length > 0)
      events.emit({
        code: 'agent.api-servers.rejected',
        level: 'warn',
        message: `ignoring API server address(es) of default/kubernetes: ${rejected.join('; ')}`,
        data: { rejected },
      });
    const now = transport.servers;
    const key = now.join(' ');
    if (!applied || key === last) return;
    last = key;
    events.emit({
      code: 'agent.api-servers.updated',
      level: 'info',
      message: `API servers: ${now.join(', ')}`,
      data: { servers: now },
    });
    // Only a list the cluster gave is worth keeping for the next start.
    if (urls.length === 0) return;
    try {
      // The listed ones only (as the transport spells them): the configured ones come from config.
      const listed = new Set(urls.map((u) => new URL(u).toString()));
      saveApiServers(
        options.dataDir,
        now.filter((s) => listed.has(s)),
      );
    } catch (err) {
      events.emit({
        code: 'agent.api-servers.save-failed',
        level: 'warn',
        message: `cannot save the API server list in ${options.dataDir}: ${(err as Error).message}`,
        data: {},
      });
    }
  };
  const watch = runListWatch<Endpoints>(
    client,
    resources.endpoints,
    {
      namespace: 'default',
      fieldSelector: { 'metadata.name': 'kubernetes' },
      retryDelayMs: options.retryDelayMs,
    },
    {
      onReplace: (items) => apply(items.find((e) => e.metadata.name === 'kubernetes')),
      onEvent: (event) => {
        if (event.object.metadata?.name !== 'kubernetes') return;
        apply(event.type === 'DELETED' ? undefined : event.object);
      },
      onError: (err) =>
        events.emit({
          code: 'agent.api-servers.watch-error',
          level: 'debug',
          message: `watching default/kubernetes endpoints: ${(err as Error).message}; retrying`,
          data: {},
        }),
    },
  );
  return { synced: watch.synced, stop: () => watch.stop() };
}
