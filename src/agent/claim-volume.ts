import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../kube/index.js';
import { LOCAL_PATH_PROVISIONER } from '../kube/local-path.js';
import { VolumeError } from './volume-error.js';

/** Where the agent keeps local-path volumes: `<dataDir>/volumes/<pv name>`. */
export function volumesDirOf(dataDir: string): string {
  return join(dataDir, 'volumes');
}

/** A PersistentVolume name as one path segment below the volumes dir (names are DNS subdomains). */
export function isSafeVolumeName(name: string): boolean {
  return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) && !name.includes('..') && name.length <= 253;
}

/**
 * The host path of a pod's `persistentVolumeClaim` volume: the claim must be bound, its volume bound
 * back to it. A local-path volume (provisioned by `tugboat.io/local-path`) lives at
 * `<volumes dir>/<pv name>` whatever path the object names — the directory is created here, and
 * nothing outside the volumes dir is ever made or used for one. Other `local` and `hostPath`
 * volumes are used at their path (an administrator made them, as with hostPath pod volumes).
 */
export async function resolveClaimVolume(
  pod: Pod,
  claimName: string,
  client: KubeClient,
  dataDir: string,
): Promise<string> {
  const namespace = pod.metadata.namespace ?? 'default';
  const what = `persistentvolumeclaim "${claimName}" of pod ${namespace}/${pod.metadata.name}`;
  const claim = await client
    .get<PersistentVolumeClaim>(resources.persistentVolumeClaims, claimName, namespace)
    .catch((err: unknown) => {
      throw new VolumeError(`${what} is unavailable (${(err as Error).message}): create it`);
    });
  const volumeName = claim.spec?.volumeName;
  if (!volumeName || claim.status?.phase !== 'Bound')
    throw new VolumeError(
      `${what} is not bound yet (phase ${claim.status?.phase ?? 'Pending'}): waiting for a volume`,
    );
  const pv = await client
    .get<PersistentVolume>(resources.persistentVolumes, volumeName)
    .catch((err: unknown) => {
      throw new VolumeError(
        `${what}: persistentvolume "${volumeName}" is unavailable (${(err as Error).message})`,
      );
    });
  const ref = pv.spec?.claimRef;
  if (ref?.uid !== claim.metadata.uid)
    throw new VolumeError(`${what}: persistentvolume "${volumeName}" is not bound to this claim`);
  if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] === LOCAL_PATH_PROVISIONER) {
    if (!isSafeVolumeName(volumeName))
      throw new VolumeError(`${what}: persistentvolume name "${volumeName}" is not a plain name`);
    const dir = join(volumesDirOf(dataDir), volumeName);
    mkdirSync(dir, { recursive: true, mode: 0o777 });
    return dir;
  }
  const path = pv.spec.local?.path ?? pv.spec.hostPath?.path;
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw new VolumeError(
      `${what}: persistentvolume "${volumeName}" has no local or hostPath source: the agent mounts only those`,
    );
  if (pv.spec.hostPath?.type === 'DirectoryOrCreate') mkdirSync(path, { recursive: true });
  return path;
}
