import { mkdirSync } from 'node:fs';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { ConfigMap, Pod, Secret, Volume, VolumeProjection } from '../kube/index.js';
import { VolumeError } from './volume-error.js';
import { writeFiles } from './volume-files.js';

/** When the pod's projected tokens are due again (the sync loop rewrites the volume then). */
export interface ProjectedTokens {
  refreshAt?: number;
}

interface TokenRequestAnswer {
  status?: { token?: string; expirationTimestamp?: string };
}

/** The kubelet refreshes a projected token once 80% of its lifetime has passed. */
const REFRESH_FRACTION = 0.8;

function downwardValue(pod: Pod, fieldPath: string, volume: string): string {
  const meta = pod.metadata;
  const lines = (m: Record<string, string> | undefined) =>
    Object.keys(m ?? {})
      .sort()
      .map((k) => `${k}=${JSON.stringify(m?.[k])}`)
      .join('\n');
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? 'default';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return lines(meta.labels);
    case 'metadata.annotations':
      return lines(meta.annotations);
    default:
      throw new VolumeError(
        `volume "${volume}": downwardAPI fieldPath "${fieldPath}" is not supported: use metadata.name, metadata.namespace, metadata.uid, metadata.labels or metadata.annotations`,
      );
  }
}

async function requestToken(
  client: KubeClient,
  pod: Pod,
  source: NonNullable<VolumeProjection['serviceAccountToken']>,
  volume: string,
  now: number,
  tokens: ProjectedTokens,
): Promise<Buffer> {
  const namespace = pod.metadata.namespace ?? 'default';
  const account = pod.spec.serviceAccountName || 'default';
  let answer: TokenRequestAnswer;
  try {
    answer = await client.createSubresource<TokenRequestAnswer>(
      resources.serviceAccounts,
      account,
      'token',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: source.audience ? [source.audience] : [],
          expirationSeconds: source.expirationSeconds ?? 3600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      },
      namespace,
    );
  } catch (err) {
    throw new VolumeError(
      `volume "${volume}": cannot get a token for service account ${namespace}/${account} (${(err as Error).message})`,
    );
  }
  const token = answer.status?.token;
  const expires = Date.parse(answer.status?.expirationTimestamp ?? '');
  if (!token || !Number.isFinite(expires))
    throw new VolumeError(`volume "${volume}": the TokenRequest answer has no token or expirationTimestamp`);
  const due = now + Math.max(1000, (expires - now) * REFRESH_FRACTION);
  tokens.refreshAt = Math.min(tokens.refreshAt ?? Number.POSITIVE_INFINITY, due);
  return Buffer.from(token);
}

async function fetchData(
  client: KubeClient,
  kind: 'configMaps' | 'secrets',
  name: string,
  namespace: string,
  optional: boolean | undefined,
  volume: string,
): Promise<Record<string, Buffer> | undefined> {
  try {
    const obj = await client.get<ConfigMap | Secret>(resources[kind], name, namespace);
    const data: Record<string, Buffer> = {};
    const encoding = kind === 'secrets' ? 'base64' : 'utf8';
    for (const [k, s] of Object.entries(obj.data ?? {})) data[k] = Buffer.from(s, encoding);
    if (kind === 'configMaps')
      for (const [k, s] of Object.entries((obj as ConfigMap).binaryData ?? {}))
        data[k] = Buffer.from(s, 'base64');
    return data;
  } catch (err) {
    if (optional && (err as { status?: number }).status === 404) return undefined;
    const what = kind === 'configMaps' ? 'configmap' : 'secret';
    throw new VolumeError(
      `volume "${volume}": ${what} ${namespace}/${name} is unavailable (${(err as Error).message}): create it or mark the source optional`,
    );
  }
}

/**
 * Writes a projected volume (the kubelet's projected volume plugin): every source is gathered
 * first, then written file by file through renames; a serviceAccountToken source gets a token
 * bound to the pod through TokenRequest and sets `tokens.refreshAt` to 80% of its lifetime.
 */
export async function writeProjectedVolume(
  pod: Pod,
  v: Volume & { projected: NonNullable<Volume['projected']> },
  dir: string,
  client: KubeClient,
  now: number,
  tokens: ProjectedTokens,
): Promise<void> {
  const namespace = pod.metadata.namespace ?? 'default';
  const mode = v.projected.defaultMode ?? 0o644;
  const files: { data: Record<string, Buffer>; items?: { key: string; path: string; mode?: number }[] }[] =
    [];
  for (const source of v.projected.sources ?? []) {
    if (source.serviceAccountToken) {
      const path = source.serviceAccountToken.path;
      const token = await requestToken(client, pod, source.serviceAccountToken, v.name, now, tokens);
      files.push({ data: { [path]: token } });
    } else if (source.configMap || source.secret) {
      const kind = source.configMap ? 'configMaps' : 'secrets';
      const ref = (source.configMap ?? source.secret)!;
      const data = await fetchData(client, kind, ref.name, namespace, ref.optional, v.name);
      if (data) files.push({ data, items: ref.items });
    } else if (source.downwardAPI) {
      const data: Record<string, Buffer> = {};
      const items = (source.downwardAPI.items ?? []).map((item) => {
        data[item.path] = Buffer.from(downwardValue(pod, item.fieldRef?.fieldPath ?? '', v.name));
        return { key: item.path, path: item.path, mode: item.mode };
      });
      files.push({ data, items });
    } else {
      throw new VolumeError(
        `volume "${v.name}": a projected source must be serviceAccountToken, configMap, secret or downwardAPI`,
      );
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const f of files) writeFiles(dir, f.data, f.items, mode);
}
