import type { StatusCause } from '../../../kube/index.js';
import { absent, forbidden, listAt, recordAt, required, stringAt } from './field.js';
import { checkUniqueName } from './names.js';
import { checkDownwardApiVolume, checkObjectVolume, checkProjectedVolume } from './projections.js';
import { checkQuantity } from './quantity.js';

/** Sources whose own fields are checked here; any other key of a volume also counts as its source. */
function checkSource(source: string, value: unknown, at: string, causes: StatusCause[]): void {
  const field = `${at}.${source}`;
  const v = recordAt(value, field, causes);
  if (!v) return;
  const need = (key: string) => {
    if (!stringAt(v[key], `${field}.${key}`, causes)) causes.push(required(`${field}.${key}`));
  };
  switch (source) {
    case 'emptyDir':
      if (!absent(v.sizeLimit)) checkQuantity(v.sizeLimit, `${field}.sizeLimit`, causes);
      break;
    case 'hostPath':
      need('path');
      break;
    case 'secret':
      checkObjectVolume(v, field, 'secretName', causes);
      break;
    case 'configMap':
      checkObjectVolume(v, field, 'name', causes);
      break;
    case 'persistentVolumeClaim':
      need('claimName');
      break;
    case 'downwardAPI':
      checkDownwardApiVolume(v, field, causes);
      break;
    case 'projected':
      checkProjectedVolume(v, field, causes);
      break;
  }
}

/**
 * `ValidateVolumes`: unique DNS-1123 label names and exactly one source each. Returns the names,
 * which container volume mounts must refer to.
 */
export function checkVolumes(value: unknown, field: string, causes: StatusCause[]): Set<string> {
  const names = new Set<string>();
  for (const [i, item] of listAt(value, field, causes)) {
    const at = `${field}[${i}]`;
    const v = recordAt(item, at, causes);
    if (!v) continue;
    checkUniqueName(v.name, `${at}.name`, names, causes);
    const sources = Object.keys(v).filter((k) => k !== 'name' && !absent(v[k]));
    if (sources.length === 0) causes.push(required(at, 'must specify a volume type'));
    for (const extra of sources.slice(1))
      causes.push(forbidden(`${at}.${extra}`, 'may not specify more than 1 volume type'));
    for (const s of sources) checkSource(s, v[s], at, causes);
  }
  return names;
}
