import type { StatusCause } from '../../../kube/index.js';
import { absent, invalid, listAt, recordAt, required, stringAt, unsupported } from './field.js';
import { checkQualifiedName, checkSubdomain } from './names.js';

/**
 * Environment of a container as `ValidateEnv` and `ValidateEnvFrom` check it, and the downward
 * API selectors (`validateObjectFieldSelector`, `validateContainerResourceFieldSelector`) that
 * env and downwardAPI volumes share.
 */

const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;
const ENV_NAME_MSG =
  "a valid environment variable name must consist only of printable ASCII characters other than '='";
const envSources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'];

/** Field paths the converter knows for pods (`ConvertDownwardAPIFieldLabel`). */
const knownFieldPaths = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
  'spec.host',
]);

/** `validEnvDownwardAPIFieldPathExpressions`, sorted as upstream lists them. */
export const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** `validVolumeDownwardAPIFieldPathExpressions`, sorted. */
export const volumeFieldPaths = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];
const resourcePaths = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

/** `fieldpath.SplitMaybeSubscriptedPath`: `metadata.labels['app']` → [path, subscript]. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

/** `validateObjectFieldSelector` against the allowed `paths`. */
export function checkFieldRef(
  value: unknown,
  field: string,
  paths: readonly string[],
  causes: StatusCause[],
): void {
  const ref = recordAt(value, field, causes);
  if (!ref) return;
  const version = stringAt(ref.apiVersion, `${field}.apiVersion`, causes) ?? 'v1';
  const path = stringAt(ref.fieldPath, `${field}.fieldPath`, causes);
  if (!path) {
    causes.push(required(`${field}.fieldPath`));
    return;
  }
  const sub = splitSubscript(path);
  let problem = '';
  if (version !== 'v1') problem = `unsupported pod version: ${version}`;
  else if (sub && sub[0] !== 'metadata.annotations' && sub[0] !== 'metadata.labels')
    problem = `field label does not support subscript: ${path}`;
  else if (!sub && !knownFieldPaths.has(path)) problem = `field label not supported: ${path}`;
  if (problem) {
    causes.push(invalid(`${field}.fieldPath`, path, `error converting fieldPath: ${problem}`));
    return;
  }
  if (sub) {
    const key = sub[0] === 'metadata.annotations' ? sub[1].toLowerCase() : sub[1];
    causes.push(...checkQualifiedName(key, field));
    return;
  }
  const internal = path === 'spec.host' ? 'spec.nodeName' : path;
  if (!paths.includes(internal)) causes.push(unsupported(`${field}.fieldPath`, internal, paths));
}

/** `validateContainerResourceFieldSelector`: a known resource; a container name in volumes. */
export function checkResourceFieldRef(
  value: unknown,
  field: string,
  volume: boolean,
  causes: StatusCause[],
): void {
  const ref = recordAt(value, field, causes);
  if (!ref) return;
  const container = stringAt(ref.containerName, `${field}.containerName`, causes);
  if (volume && !container) causes.push(required(`${field}.containerName`));
  const resource = stringAt(ref.resource, `${field}.resource`, causes);
  if (!resource) causes.push(required(`${field}.resource`));
  else if (!resourcePaths.includes(resource) && !/^(limits|requests)\.hugepages-/.test(resource))
    causes.push(unsupported(`${field}.resource`, resource, resourcePaths));
}

function checkEnvName(value: unknown, field: string, causes: StatusCause[]): void {
  const name = stringAt(value, field, causes);
  if (!name) {
    if (absent(value) || name === '') causes.push(required(field));
  } else if (!ENV_NAME.test(name)) causes.push(invalid(field, name, ENV_NAME_MSG));
}

/** `ValidateEnv`: names (printable ASCII but '='), a value or exactly one valueFrom source. */
export function checkEnv(value: unknown, field: string, causes: StatusCause[]): void {
  for (const [i, item] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const e = recordAt(item, at, causes);
    if (!e) continue;
    checkEnvName(e.name, `${at}.name`, causes);
    const val = stringAt(e.value, `${at}.value`, causes);
    const from = recordAt(e.valueFrom, `${at}.valueFrom`, causes);
    if (!from) continue;
    const set = envSources.filter((s) => !absent(from[s]));
    if (set.length === 0)
      causes.push(
        invalid(
          `${at}.valueFrom`,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    else if (set.length > 1)
      causes.push(invalid(`${at}.valueFrom`, '', 'may not have more than one field specified at a time'));
    if (val) causes.push(invalid(`${at}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    checkFieldRef(from.fieldRef, `${at}.valueFrom.fieldRef`, envFieldPaths, causes);
    checkResourceFieldRef(from.resourceFieldRef, `${at}.valueFrom.resourceFieldRef`, false, causes);
    for (const s of ['configMapKeyRef', 'secretKeyRef']) {
      const ref = recordAt(from[s], `${at}.valueFrom.${s}`, causes);
      if (ref && !stringAt(ref.key, `${at}.valueFrom.${s}.key`, causes))
        causes.push(required(`${at}.valueFrom.${s}.key`));
    }
  }
}

/** `ValidateEnvFrom`: a valid prefix and exactly one of configMapRef / secretRef, each named. */
export function checkEnvFrom(value: unknown, field: string, causes: StatusCause[]): void {
  for (const [i, item] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const e = recordAt(item, at, causes);
    if (!e) continue;
    const prefix = stringAt(e.prefix, `${at}.prefix`, causes);
    if (prefix && !ENV_NAME.test(prefix)) causes.push(invalid(`${at}.prefix`, prefix, ENV_NAME_MSG));
    let sources = 0;
    for (const s of ['configMapRef', 'secretRef']) {
      const ref = recordAt(e[s], `${at}.${s}`, causes);
      if (absent(e[s])) continue;
      sources++;
      if (!ref) continue;
      const name = stringAt(ref.name, `${at}.${s}.name`, causes);
      if (!name) causes.push(required(`${at}.${s}.name`));
      else causes.push(...checkSubdomain(name, `${at}.${s}.name`));
    }
    // Upstream reports these at the list's path, not the item's.
    if (sources === 0) causes.push(invalid(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1)
      causes.push(invalid(field, '', 'may not have more than one field specified at a time'));
  }
}
