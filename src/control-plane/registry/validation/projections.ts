import type { StatusCause } from '../../../kube/index.js';
import { checkFieldRef, checkResourceFieldRef, volumeFieldPaths } from './env.js';
import { absent, forbidden, intAt, invalid, listAt, recordAt, required, stringAt } from './field.js';
import { checkSubdomain } from './names.js';
import { checkLocalNonReservedPath, FILE_MODE_MSG } from './paths.js';

/**
 * The file-projecting volume sources: items of secret and configMap volumes (`validateKeyToPath`),
 * downwardAPI volumes and projected volumes (`validateProjectionSources`), with upstream's paths
 * and messages — including its habit of reporting downward API items at the source's path.
 */

/** A file mode 0..0777 (`defaultMode`, `mode`). */
export function checkFileMode(value: unknown, field: string, causes: StatusCause[]): void {
  const n = intAt(value, field, causes);
  if (n !== undefined && (n < 0 || n > 0o777)) causes.push(invalid(field, n, FILE_MODE_MSG));
}

function checkItemPath(value: unknown, field: string, causes: StatusCause[]): string | undefined {
  const path = stringAt(value, field, causes);
  if (!path) causes.push(required(field));
  else causes.push(...checkLocalNonReservedPath(path, field));
  return path || undefined;
}

/** `validateKeyToPath` of each item; returns the item paths. */
export function checkKeyToPaths(value: unknown, field: string, causes: StatusCause[]): string[] {
  const paths: string[] = [];
  for (const [i, item] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const it = recordAt(item, at, causes);
    if (!it) continue;
    if (!stringAt(it.key, `${at}.key`, causes)) causes.push(required(`${at}.key`));
    const path = checkItemPath(it.path, `${at}.path`, causes);
    if (path) paths.push(path);
    checkFileMode(it.mode, `${at}.mode`, causes);
  }
  return paths;
}

/** `validateDownwardAPIVolumeFile` of each item, reported at `field` (no index, as upstream). */
function checkDownwardItems(value: unknown, field: string, causes: StatusCause[]): string[] {
  const paths: string[] = [];
  for (const [i, item] of listAt(value, `${field}.items`, causes)) {
    const f = recordAt(item, `${field}.items[${i}]`, causes);
    if (!f) continue;
    const path = checkItemPath(f.path, `${field}.path`, causes);
    if (path) paths.push(path);
    if (!absent(f.fieldRef)) {
      checkFieldRef(f.fieldRef, `${field}.fieldRef`, volumeFieldPaths, causes);
      if (!absent(f.resourceFieldRef))
        causes.push(
          invalid(field, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'),
        );
    } else if (!absent(f.resourceFieldRef)) {
      checkResourceFieldRef(f.resourceFieldRef, `${field}.resourceFieldRef`, true, causes);
    } else causes.push(required(field, 'one of fieldRef and resourceFieldRef is required'));
    checkFileMode(f.mode, `${field}.mode`, causes);
  }
  return paths;
}

/** `validateDownwardAPIVolumeSource`. */
export function checkDownwardApiVolume(
  v: Record<string, unknown>,
  field: string,
  causes: StatusCause[],
): void {
  checkFileMode(v.defaultMode, `${field}.defaultMode`, causes);
  checkDownwardItems(v.items, field, causes);
}

const projectionKinds = ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle'];

/** `validateProjectedVolumeSource`: defaultMode, one kind per source, no two files at one path. */
export function checkProjectedVolume(v: Record<string, unknown>, field: string, causes: StatusCause[]): void {
  checkFileMode(v.defaultMode, `${field}.defaultMode`, causes);
  const all = new Set<string>();
  const claim = (path: string, bad: unknown) => {
    if (all.has(path)) causes.push(invalid(field, bad, 'conflicting duplicate paths'));
    all.add(path);
  };
  for (const [i, item] of listAt(v.sources, `${field}.sources`, causes)) {
    const src = `${field}.sources[${i}]`;
    const s = recordAt(item, src, causes);
    if (!s) continue;
    const kinds = projectionKinds.filter((k) => !absent(s[k]));
    if (kinds.length > 1) causes.push(forbidden(src, 'may not specify more than 1 volume type per source'));
    for (const k of ['secret', 'configMap']) {
      const ref = recordAt(s[k], `${src}.${k}`, causes);
      if (!ref) continue;
      const name = stringAt(ref.name, `${src}.${k}.name`, causes);
      if (!name) causes.push(required(`${src}.${k}.name`));
      for (const p of checkKeyToPaths(ref.items, `${src}.${k}.items`, causes)) claim(p, name ?? '');
    }
    const down = recordAt(s.downwardAPI, `${src}.downwardAPI`, causes);
    if (down) for (const p of checkDownwardItems(down.items, `${src}.downwardAPI`, causes)) claim(p, p);
    const token = recordAt(s.serviceAccountToken, `${src}.serviceAccountToken`, causes);
    if (token) {
      const at = `${src}.serviceAccountToken`;
      const secs = intAt(token.expirationSeconds, `${at}.expirationSeconds`, causes) ?? 3600;
      if (secs < 600)
        causes.push(
          invalid(`${at}.expirationSeconds`, secs, 'may not specify a duration less than 10 minutes'),
        );
      if (secs > 2 ** 32)
        causes.push(
          invalid(`${at}.expirationSeconds`, secs, 'may not specify a duration larger than 2^32 seconds'),
        );
      const path = stringAt(token.path, `${at}.path`, causes);
      if (!path) causes.push(required(`${field}.path`));
      else claim(path, path);
      stringAt(token.audience, `${at}.audience`, causes);
    }
  }
}

/** Secret and configMap volumes: a valid name, item paths and modes. */
export function checkObjectVolume(
  v: Record<string, unknown>,
  field: string,
  nameKey: string,
  causes: StatusCause[],
): void {
  const name = stringAt(v[nameKey], `${field}.${nameKey}`, causes);
  if (!name) causes.push(required(`${field}.${nameKey}`));
  else causes.push(...checkSubdomain(name, `${field}.${nameKey}`));
  checkFileMode(v.defaultMode, `${field}.defaultMode`, causes);
  checkKeyToPaths(v.items, `${field}.items`, causes);
}
