import type { StatusCause } from '../../../kube/index.js';
import { invalid, listAt, recordAt, stringAt, stringListAt, unsupported } from './field.js';
import { checkResourceList } from './limit-range.js';

/** The quota scopes kube-apiserver knows. */
export const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
] as const;
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
/** At most this many resources in `hard`, so one quota's admission work stays bounded. */
export const MAX_HARD_RESOURCES = 200;

const STANDARD = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
  'cpu',
  'memory',
  'storage',
  'ephemeral-storage',
]);

/** validateResourceQuotaResourceName: standard names, requests./limits./count/ forms, or qualified. */
function isQuotaResource(name: string): boolean {
  return (
    STANDARD.has(name) ||
    /^(requests|limits)\.[a-z0-9A-Z.\-/]+$/.test(name) ||
    /^count\/[a-z0-9.-]+$/.test(name) ||
    name.startsWith('hugepages-')
  );
}

/** ValidateResourceQuota's spec and status checks. */
export function checkResourceQuota(spec: unknown, status: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  const s = recordAt(spec, 'spec', causes);
  if (s) {
    const hard = checkResourceList(s.hard, 'spec.hard', causes, isQuotaResource);
    if (hard.size > MAX_HARD_RESOURCES)
      causes.push(
        invalid('spec.hard', `${hard.size} resources`, `must have at most ${MAX_HARD_RESOURCES} resources`),
      );
    const scopes = stringListAt(s.scopes, 'spec.scopes', causes);
    const sel = recordAt(s.scopeSelector, 'spec.scopeSelector', causes);
    const named = [...scopes];
    for (const [i, scope] of scopes.entries())
      if (!(QUOTA_SCOPES as readonly string[]).includes(scope))
        causes.push(unsupported(`spec.scopes[${i}]`, scope, QUOTA_SCOPES));
    if (sel) {
      const at = 'spec.scopeSelector.matchExpressions';
      for (const [i, e] of listAt(sel.matchExpressions, at, causes)) {
        const r = recordAt(e, `${at}[${i}]`, causes);
        if (!r) continue;
        const scope = stringAt(r.scopeName, `${at}[${i}].scopeName`, causes);
        if (scope && !(QUOTA_SCOPES as readonly string[]).includes(scope))
          causes.push(unsupported(`${at}[${i}].scopeName`, scope, QUOTA_SCOPES));
        else if (scope) named.push(scope);
        const op = stringAt(r.operator, `${at}[${i}].operator`, causes);
        if (op && !OPERATORS.includes(op)) causes.push(unsupported(`${at}[${i}].operator`, op, OPERATORS));
        const values = stringListAt(r.values, `${at}[${i}].values`, causes);
        if ((op === 'In' || op === 'NotIn') && !values.length)
          causes.push(
            invalid(
              `${at}[${i}].values`,
              values,
              "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            ),
          );
        if ((op === 'Exists' || op === 'DoesNotExist') && values.length)
          causes.push(
            invalid(
              `${at}[${i}].values`,
              values,
              "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
            ),
          );
      }
    }
    const has = (x: string) => named.includes(x);
    if ((has('Terminating') && has('NotTerminating')) || (has('BestEffort') && has('NotBestEffort')))
      causes.push(invalid('spec.scopes', named, 'conflicting scopes'));
  }
  if (status !== undefined) {
    const st = recordAt(status, 'status', causes);
    if (st) {
      checkResourceList(st.hard, 'status.hard', causes, isQuotaResource);
      checkResourceList(st.used, 'status.used', causes, isQuotaResource);
    }
  }
  return causes;
}
