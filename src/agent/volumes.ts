import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { ConfigMap, Pod, Secret, Volume } from '../kube/index.js';
import { resolveClaimVolume } from './claim-volume.js';
import { type ProjectedTokens, writeProjectedVolume } from './projected-volume.js';
import { VolumeError } from './volume-error.js';
import { writeFiles } from './volume-files.js';

const run = promisify(execFile);

export { VolumeError };

/** Where a pod's volumes live on the node: `<dataDir>/pods/<uid>/volumes/<name>`. */
export function podDir(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid);
}

/**
 * Materialises a pod's volumes on the node and returns the host path of each by name:
 * emptyDir → a directory (tmpfs for medium Memory), hostPath → the path itself, configMap and
 * secret → files written from the API objects (secret files 0600 by default, in a tmpfs when the
 * agent may mount one), projected → its sources (a pod-bound service-account token among them;
 * `tokens.refreshAt` says when to run {@link refreshProjectedVolumes}), persistentVolumeClaim → its
 * bound volume's directory (claim-volume.ts). Idempotent: re-running
 * refreshes the files in place.
 */
export async function prepareVolumes(
  pod: Pod,
  client: KubeClient,
  dataDir: string,
  tokens: ProjectedTokens = {},
  now = Date.now(),
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const namespace = pod.metadata.namespace ?? 'default';
  const base = join(podDir(dataDir, pod.metadata.uid ?? 'unknown'), 'volumes');
  for (const v of pod.spec.volumes ?? []) {
    const dir = join(base, v.name);
    if (v.hostPath) {
      if (v.hostPath.type === 'DirectoryOrCreate') mkdirSync(v.hostPath.path, { recursive: true });
      out.set(v.name, v.hostPath.path);
    } else if (v.emptyDir) {
      mkdirSync(dir, { recursive: true, mode: 0o777 });
      if (v.emptyDir.medium === 'Memory') await mountTmpfs(dir, '0777');
      chmodSync(dir, 0o777);
      out.set(v.name, dir);
    } else if (v.configMap) {
      const cm = await fetchOptional<ConfigMap>(client, 'configMaps', v.configMap.name, namespace, v);
      const data: Record<string, Buffer> = {};
      for (const [k, s] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(s);
      for (const [k, s] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(s, 'base64');
      writeFiles(dir, data, v.configMap.items, v.configMap.defaultMode ?? 0o644);
      out.set(v.name, dir);
    } else if (v.secret) {
      const secret = await fetchOptional<Secret>(client, 'secrets', v.secret.secretName, namespace, v);
      const data: Record<string, Buffer> = {};
      for (const [k, s] of Object.entries(secret?.data ?? {})) data[k] = Buffer.from(s, 'base64');
      for (const [k, s] of Object.entries(secret?.stringData ?? {})) data[k] = Buffer.from(s);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      await mountTmpfs(dir, '0755');
      writeFiles(dir, data, v.secret.items, v.secret.defaultMode ?? 0o600);
      out.set(v.name, dir);
    } else if (v.projected) {
      await writeProjectedVolume(pod, { ...v, projected: v.projected }, dir, client, now, tokens);
      out.set(v.name, dir);
    } else if (v.persistentVolumeClaim) {
      out.set(v.name, await resolveClaimVolume(pod, v.persistentVolumeClaim.claimName, client, dataDir));
    } else {
      throw new VolumeError(
        `volume "${v.name}" of pod ${namespace}/${pod.metadata.name} has an unsupported type: use emptyDir, hostPath, configMap, secret, projected or persistentVolumeClaim`,
      );
    }
  }
  return out;
}

/** Rewrites the pod's projected volumes (new tokens, current ConfigMaps); sets the next `tokens.refreshAt`. */
export async function refreshProjectedVolumes(
  pod: Pod,
  client: KubeClient,
  dataDir: string,
  tokens: ProjectedTokens,
  now = Date.now(),
): Promise<void> {
  const base = join(podDir(dataDir, pod.metadata.uid ?? 'unknown'), 'volumes');
  tokens.refreshAt = undefined;
  for (const v of pod.spec.volumes ?? [])
    if (v.projected)
      await writeProjectedVolume(
        pod,
        { ...v, projected: v.projected },
        join(base, v.name),
        client,
        now,
        tokens,
      );
}

/** Unmounts and removes everything `prepareVolumes` made for a pod (never hostPath contents). */
export async function cleanupVolumes(dataDir: string, uid: string): Promise<void> {
  const dir = podDir(dataDir, uid);
  if (!existsSync(dir)) return;
  for (const mount of mountsUnder(dir)) await run('umount', ['-l', mount]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

async function fetchOptional<T extends ConfigMap | Secret>(
  client: KubeClient,
  kind: 'configMaps' | 'secrets',
  name: string,
  namespace: string,
  v: Volume,
): Promise<T | undefined> {
  try {
    return await client.get<T>(resources[kind], name, namespace);
  } catch (err) {
    if ((v.configMap?.optional || v.secret?.optional) && (err as { status?: number }).status === 404)
      return undefined;
    const what = kind === 'configMaps' ? 'configmap' : 'secret';
    throw new VolumeError(
      `volume "${v.name}": ${what} ${namespace}/${name} is unavailable (${(err as Error).message}): create it or mark the volume optional`,
    );
  }
}

/** Mounts a tmpfs on `dir` when possible (root, not yet mounted); otherwise leaves a plain directory. */
async function mountTmpfs(dir: string, mode: string): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  if (mountsUnder(dir).includes(dir)) return true;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `mode=${mode},size=64m`, 'tmpfs', dir]);
    return true;
  } catch {
    return false;
  }
}

function mountsUnder(dir: string): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m === dir || m.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}
