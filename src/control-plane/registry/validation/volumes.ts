import type { StatusCause } from '../../../kube/index.js';
import { absent, forbidden, listAt, recordAt, required, stringAt } from './field.js';
import { checkSubdomain, checkUniqueName } from './names.js';
import { checkQuantity } from './quantity.js';

/** Sources whose own fields are checked here; any other key of a volume also counts as its source. */
function checkSource(source: string, value: unknown, at: string, causes: StatusCause[]): void {
  const v = recordAt(value, `${at}.${source}`, causes);
  if (!v) return;
  const need = (key: string, check?: (s: string, f: string) => StatusCause[]) => {
    const s = stringAt(v[key], `${at}.${source}.${key}`, causes);
    if (!s) causes.push(required(`${at}.${source}.${key}`));
    else if (check) causes.push(...check(s, `${at}.${source}.${key}`));
  };
  switch (source) {
    case 'emptyDir':
      if (!absent(v.sizeLimit)) checkQuantity(v.sizeLimit, `${at}.emptyDir.sizeLimit`, causes);
      break;
    case 'hostPath':
      need('path');
      break;
    case 'secret':
      need('secretName', checkSubdomain);
      break;
    case 'configMap':
      need('name', checkSubdomain);
      break;
    case 'persistentVolumeClaim':
      need('claimName');
      break;
  }
  for (const [i, item] of listAt(v.items, `${at}.${source}.items`, causes)) {
    const it = recordAt(item, `${at}.${source}.items[${i}]`, causes);
    if (!it) continue;
    if (!stringAt(it.key, `${at}.${source}.items[${i}].key`, causes))
      causes.push(required(`${at}.${source}.items[${i}].key`));
    if (!stringAt(it.path, `${at}.${source}.items[${i}].path`, causes))
      causes.push(required(`${at}.${source}.items[${i}].path`));
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
