import type { ServerResponse } from 'node:http';
import type { UntypedObject } from '../../kube/index.js';
import { findResource } from '../registry/index.js';
import type { ApiContext } from './context.js';
import { sendJson } from './http.js';
import type { MetricsScraper, NodeSample, Usage } from './metrics-scraper.js';
import type { ResourceRequest } from './request-info.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError } from './status.js';
import { buildTable, type ResponseShape } from './table.js';

const API_VERSION = 'metrics.k8s.io/v1beta1';

/** Quantities as metrics-server writes them: CPU in nanocores, memory in KiB. */
function quantities(u: Usage): { cpu: string; memory: string } {
  return { cpu: `${Math.round(u.nanoCores)}n`, memory: `${Math.round(u.workingSetBytes / 1024)}Ki` };
}

/** A NodeMetrics or PodMetrics for `source` (the Node or Pod: name, namespace, labels). */
function metricsObject(
  kind: 'NodeMetrics' | 'PodMetrics',
  source: UntypedObject,
  timestamp: string,
  windowSeconds: number,
  now: Date,
  body: Record<string, unknown>,
): UntypedObject {
  const m = source.metadata ?? {};
  return {
    kind,
    apiVersion: API_VERSION,
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      creationTimestamp: now.toISOString(),
      ...(m.labels ? { labels: m.labels } : {}),
    },
    timestamp,
    window: `${windowSeconds}s`,
    ...body,
  } as UntypedObject;
}

/** The PodMetrics of `pod` when its node's last scrape had figures for this very pod (same uid). */
function podMetrics(
  pod: UntypedObject,
  samples: ReadonlyMap<string, NodeSample>,
  now: Date,
): UntypedObject | undefined {
  const node = samples.get(String((pod.spec as { nodeName?: unknown } | undefined)?.nodeName ?? ''));
  const found = node?.pods.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
  if (!node || !found || found.uid !== pod.metadata?.uid) return undefined;
  return metricsObject('PodMetrics', pod, found.timestamp, node.windowSeconds, now, {
    containers: found.containers.map((c) => ({ name: c.name, usage: quantities(c.usage) })),
  });
}

/**
 * Serves metrics.k8s.io/v1beta1 `nodes` and `pods` (get and list, label and field selectors as on
 * the Node and Pod they describe) from the scraper's latest figures, as metrics-server does:
 * objects that exist but have no figures yet are left out of lists and are a 404 by name.
 */
export async function serveMetrics(
  ctx: ApiContext,
  info: ResourceRequest,
  res: ServerResponse,
  scraper: MetricsScraper | undefined,
  shape: ResponseShape,
): Promise<void> {
  if (info.verb !== 'get' && info.verb !== 'list')
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `${info.verb} is not supported on ${info.def.plural}.metrics.k8s.io`,
    );
  if (!scraper)
    throw new ApiError(
      503,
      'ServiceUnavailable',
      'the metrics API is off: the API server runs no metrics scraper',
    );
  const samples = scraper.nodes();
  const isPods = info.def.kind === 'PodMetrics';
  const sourceDef = findResource('', 'v1', isPods ? 'pods' : 'nodes')!;
  const now = ctx.now();
  const build = (obj: UntypedObject) => {
    if (isPods) return podMetrics(obj, samples, now);
    const sample = samples.get(String(obj.metadata?.name));
    return (
      sample &&
      metricsObject('NodeMetrics', obj, sample.timestamp, sample.windowSeconds, now, {
        usage: quantities(sample.usage),
      })
    );
  };
  if (info.verb === 'get') {
    const obj = await ctx.resources.get(sourceDef, info.namespace, info.name ?? '');
    const metrics = obj && build(obj as UntypedObject);
    if (!metrics)
      throw new ApiError(404, 'NotFound', `${info.def.plural}.metrics.k8s.io "${info.name}" not found`, {
        name: info.name,
        group: 'metrics.k8s.io',
        kind: info.def.plural,
      });
    return sendJson(res, 200, shape.table ? table(info, [metrics], shape, ctx) : metrics);
  }
  const labels = parseLabelSelector(info.query.get('labelSelector'));
  const fields = parseFieldSelector(info.query.get('fieldSelector'), sourceDef);
  const items = (await ctx.resources.list(sourceDef, info.namespace)).items
    .filter((o) => labels(o) && fields(o))
    .map(build)
    .filter((m): m is UntypedObject => m !== undefined);
  const list = { kind: `${info.def.kind}List`, apiVersion: API_VERSION, metadata: {}, items };
  return sendJson(res, 200, shape.table ? table(info, items, shape, ctx) : list);
}

function table(info: ResourceRequest, items: UntypedObject[], shape: ResponseShape, ctx: ApiContext) {
  return buildTable(info.def, items, {}, info.query.get('includeObject'), shape, ctx.now());
}
