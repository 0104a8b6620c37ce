import { randomInt } from 'node:crypto';
import type { LookedUp } from './lookup.js';

/** Where the token, CA and namespace appear in every container (the path client libraries read). */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The ConfigMap the root-CA publisher keeps in every namespace. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** kube-apiserver's projected token lifetime (an hour plus seven seconds, so it is recognizable). */
export const PROJECTED_TOKEN_SECONDS = 3607;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

// apimachinery's utilrand alphabet: no vowels (no words) and no look-alike characters.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return out;
}

/** The standard projected volume: a bound token, the cluster CA and the namespace. */
export function buildServiceAccountVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: PROJECTED_TOKEN_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

/** The name of the ServiceAccount a pod runs as (`default` when unset). */
export function podServiceAccountName(pod: Obj): string {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const name = spec.serviceAccountName || spec.serviceAccount;
  return typeof name === 'string' && name ? name : 'default';
}

/**
 * The ServiceAccount admission plugin's mutation of a new pod (after upstream's
 * plugin/pkg/admission/serviceaccount): sets `serviceAccountName`, and unless
 * automountServiceAccountToken is false on the pod (or, when the pod leaves it unset, on the
 * ServiceAccount) adds a `kube-api-access-<5 random>` projected volume mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container that has nothing there yet.
 */
export function admitPodServiceAccount(pod: Obj, serviceAccount: LookedUp): Obj {
  const spec: Obj = isObj(pod.spec) ? { ...pod.spec } : {};
  const name = podServiceAccountName(pod);
  spec.serviceAccountName = name;
  spec.serviceAccount = name;
  const automount =
    typeof spec.automountServiceAccountToken === 'boolean'
      ? spec.automountServiceAccountToken
      : serviceAccount.automountServiceAccountToken !== false;
  if (!automount) return { ...pod, spec };
  const containers = ['initContainers', 'containers'] as const;
  const needs = (c: Obj) => !list(c.volumeMounts).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH);
  if (!containers.some((k) => list(spec[k]).some(needs))) return { ...pod, spec };
  const volumes = list(spec.volumes);
  let volumeName = `kube-api-access-${randomSuffix()}`;
  while (volumes.some((v) => v.name === volumeName)) volumeName = `kube-api-access-${randomSuffix()}`;
  spec.volumes = [...volumes, buildServiceAccountVolume(volumeName)];
  for (const k of containers) {
    if (!Array.isArray(spec[k])) continue;
    spec[k] = (spec[k] as unknown[]).map((c) =>
      isObj(c) && needs(c)
        ? {
            ...c,
            volumeMounts: [
              ...list(c.volumeMounts),
              { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH },
            ],
          }
        : c,
    );
  }
  return { ...pod, spec };
}
