import { isDeepStrictEqual } from 'node:util';
import type { StatusCause, UntypedObject } from '../../../kube/index.js';
import {
  absent,
  forbidden,
  getPath,
  invalid,
  isRecord,
  listAt,
  nonNegativeAt,
  recordAt,
  required,
  unsupported,
} from './field.js';
import { checkLabelName, checkLabels, checkSubdomain } from './names.js';
import { checkPodSpec } from './pod-spec.js';
import { checkClaimSpec } from './storage.js';
import { amount, checkAtMost100, checkIntOrPercent, intOrString } from './strategy.js';
import { checkSelectorMatches } from './workload.js';

const retentionTypes = ['Delete', 'Retain'];

/** `spec.updateStrategy` as `ValidateStatefulSetSpec` checks it. */
function checkUpdateStrategy(value: unknown, causes: StatusCause[]): void {
  const field = 'spec.updateStrategy';
  const s = recordAt(value, field, causes);
  if (!s) return;
  const ru = `${field}.rollingUpdate`;
  if (s.type === 'OnDelete') {
    if (!absent(s.rollingUpdate))
      causes.push(invalid(ru, s.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (s.type === 'RollingUpdate') {
    const r = recordAt(s.rollingUpdate, ru, causes);
    if (!r) return;
    nonNegativeAt(r.partition, `${ru}.partition`, causes);
    if (!absent(r.maxUnavailable)) {
      const at = `${ru}.maxUnavailable`;
      const before = causes.length;
      checkIntOrPercent(r.maxUnavailable, at, causes);
      if (causes.length === before && amount(r.maxUnavailable) === 0)
        causes.push(invalid(at, intOrString(r.maxUnavailable), 'cannot be 0'));
      checkAtMost100(r.maxUnavailable, at, causes);
    }
  } else if (absent(s.type) || s.type === '') causes.push(required(field));
  else causes.push(invalid(field, s, "must be 'RollingUpdate' or 'OnDelete'"));
}

function checkRetention(value: unknown, causes: StatusCause[]): void {
  const field = 'spec.persistentVolumeClaimRetentionPolicy';
  const p = recordAt(value, field, causes);
  if (!p) return;
  for (const k of ['whenDeleted', 'whenScaled'] as const)
    if (typeof p[k] !== 'string' || !retentionTypes.includes(p[k]))
      causes.push(unsupported(`${field}.${k}`, p[k] ?? '', retentionTypes));
}

function checkClaimTemplates(value: unknown, causes: StatusCause[]): void {
  const field = 'spec.volumeClaimTemplates';
  const names = new Set<string>();
  for (const [i, t] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const name = getPath(t, ['metadata', 'name']);
    if (typeof name !== 'string' || name === '')
      causes.push(required(`${at}.metadata.name`, 'name or generateName is required'));
    else {
      causes.push(...checkSubdomain(name, `${at}.metadata.name`));
      if (names.has(name))
        causes.push({
          reason: 'FieldValueDuplicate',
          field: `${at}.metadata.name`,
          message: `Duplicate value: ${JSON.stringify(name)}`,
        });
      names.add(name);
    }
    causes.push(...checkLabels(getPath(t, ['metadata', 'labels']), `${at}.metadata.labels`));
    causes.push(...checkClaimSpec(getPath(t, ['spec']), `${at}.spec`));
  }
}

/**
 * The template's pod spec as the controller makes each pod of it: every claim template is a
 * `persistentVolumeClaim` volume of its name, so containers may mount it (the canonical `web`
 * example mounts `www` and lists no volume). kube-apiserver skips the template's volume checks
 * for this reason ("check that the union of the given volumes and volumeClaims match volume
 * mounts"); here the union is checked. Claims are appended after the template's own volumes (a
 * template volume of the same name is kept, as the controller replaces it), so error paths of the
 * template's volumes keep their indexes. Pure; the object is not changed.
 */
function withClaimVolumes(podSpec: unknown, claimTemplates: unknown): unknown {
  if (!isRecord(podSpec) || !Array.isArray(claimTemplates)) return podSpec;
  const volumes = Array.isArray(podSpec.volumes) ? podSpec.volumes : absent(podSpec.volumes) ? [] : undefined;
  if (!volumes) return podSpec;
  const named = new Set(volumes.map((v) => (isRecord(v) ? v.name : undefined)));
  const claims = claimTemplates
    .map((t) => getPath(t, ['metadata', 'name']))
    .filter((name): name is string => typeof name === 'string' && name !== '' && !named.has(name))
    .map((name) => ({ name, persistentVolumeClaim: { claimName: name } }));
  return claims.length === 0 ? podSpec : { ...podSpec, volumes: [...volumes, ...claims] };
}

/**
 * A StatefulSet as `ValidateStatefulSet` checks it: pod management policy, update strategy
 * (partition, maxUnavailable), claim retention policy, counts, selector matching the template,
 * a pod template that always restarts and has no activeDeadlineSeconds (its containers may mount
 * the claim templates), and claim templates.
 */
export function checkStatefulSet(obj: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const policy = spec.podManagementPolicy;
  if (absent(policy) || policy === '') causes.push(required('spec.podManagementPolicy'));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel')
    causes.push(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  checkUpdateStrategy(spec.updateStrategy, causes);
  checkRetention(spec.persistentVolumeClaimRetentionPolicy, causes);
  nonNegativeAt(spec.replicas, 'spec.replicas', causes);
  nonNegativeAt(spec.minReadySeconds, 'spec.minReadySeconds', causes);
  nonNegativeAt(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', causes);
  if (isRecord(spec.ordinals)) nonNegativeAt(spec.ordinals.start, 'spec.ordinals.start', causes);
  // The service name becomes every pod's `subdomain`, which must be a DNS label.
  if (typeof spec.serviceName === 'string' && spec.serviceName !== '')
    causes.push(...checkLabelName(spec.serviceName, 'spec.serviceName'));
  causes.push(...checkSelectorMatches(obj, 'spec', 'statefulset'));
  causes.push(
    ...checkLabels(getPath(obj, ['spec', 'template', 'metadata', 'labels']), 'spec.template.metadata.labels'),
  );
  causes.push(
    ...checkPodSpec(
      withClaimVolumes(getPath(obj, ['spec', 'template', 'spec']), spec.volumeClaimTemplates),
      'spec.template.spec',
      ['Always'],
    ),
  );
  if (!absent(getPath(obj, ['spec', 'template', 'spec', 'activeDeadlineSeconds'])))
    causes.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in StatefulSet is not Supported',
      ),
    );
  checkClaimTemplates(spec.volumeClaimTemplates, causes);
  return causes;
}

const mutableSpec = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

/** `ValidateStatefulSetUpdate`: only a few spec fields may change. */
export function checkStatefulSetUpdate(obj: UntypedObject, old: UntypedObject): StatusCause[] {
  const fixed = (o: UntypedObject) => {
    const spec = { ...(isRecord(o.spec) ? o.spec : {}) };
    for (const k of mutableSpec) delete spec[k];
    return spec;
  };
  if (isDeepStrictEqual(fixed(obj), fixed(old))) return [];
  return [
    forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}
