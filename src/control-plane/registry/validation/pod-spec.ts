import type { StatusCause } from '../../../kube/index.js';
import { checkContainer } from './container.js';
import {
  absent,
  enumAt,
  forbidden,
  intAt,
  invalid,
  listAt,
  nonNegativeAt,
  recordAt,
  required,
  stringAt,
} from './field.js';
import { checkLabelName, checkLabels, checkSubdomain } from './names.js';
import { checkAffinity, checkTolerations } from './scheduling.js';
import { checkPodSecurityContext } from './security-context.js';
import { checkTopologySpread } from './topology-spread.js';
import { checkVolumes } from './volumes.js';

/** Restart policies a pod may have; workloads narrow them (Deployments: Always only). */
export const podRestartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/**
 * `ValidatePodSpec` of a pod or a pod template's spec at `field`: containers and init containers,
 * volumes, scheduling fields (nodeSelector, tolerations, affinity), policies and timings, with
 * Kubernetes' field paths and messages. `restartPolicies` narrows the allowed restart policies.
 */
export function checkPodSpec(
  value: unknown,
  field: string,
  restartPolicies: readonly string[] = podRestartPolicies,
): StatusCause[] {
  const causes: StatusCause[] = [];
  if (absent(value)) return [required(field)];
  const spec = recordAt(value, field, causes);
  if (!spec) return causes;
  const volumes = checkVolumes(spec.volumes, `${field}.volumes`, causes);
  const grace = spec.terminationGracePeriodSeconds;
  const pod = {
    names: new Set<string>(),
    volumes,
    gracePeriod: typeof grace === 'number' ? grace : undefined,
  };
  const containers = listAt(spec.containers, `${field}.containers`, causes);
  if (containers.length === 0 && (absent(spec.containers) || Array.isArray(spec.containers)))
    causes.push(required(`${field}.containers`));
  for (const [i, c] of containers) causes.push(...checkContainer(c, `${field}.containers[${i}]`, pod, 'app'));
  for (const [i, c] of listAt(spec.initContainers, `${field}.initContainers`, causes))
    causes.push(...checkContainer(c, `${field}.initContainers[${i}]`, pod, 'init'));
  const ephemeral = listAt(spec.ephemeralContainers, `${field}.ephemeralContainers`, causes);
  // Ephemeral containers are added through pods/ephemeralcontainers only, which tugboat does not serve.
  if (ephemeral.length > 0)
    causes.push(
      forbidden(
        `${field}.ephemeralContainers`,
        field === 'spec' ? 'cannot be set on create' : 'ephemeral containers not allowed in pod template',
      ),
    );
  for (const [i, c] of ephemeral)
    causes.push(...checkContainer(c, `${field}.ephemeralContainers[${i}]`, pod, 'ephemeral'));
  checkPodSecurityContext(spec.securityContext, `${field}.securityContext`, spec.hostPID, causes);
  causes.push(...checkTopologySpread(spec.topologySpreadConstraints, `${field}.topologySpreadConstraints`));
  causes.push(
    ...checkLabels(spec.nodeSelector, `${field}.nodeSelector`),
    ...checkTolerations(spec.tolerations, `${field}.tolerations`),
    ...checkAffinity(spec.affinity, `${field}.affinity`),
  );
  enumAt(spec.restartPolicy, `${field}.restartPolicy`, restartPolicies, causes);
  enumAt(spec.dnsPolicy, `${field}.dnsPolicy`, dnsPolicies, causes);
  nonNegativeAt(spec.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`, causes);
  const deadline = intAt(spec.activeDeadlineSeconds, `${field}.activeDeadlineSeconds`, causes);
  if (deadline !== undefined && (deadline < 1 || deadline > 2147483647))
    causes.push(
      invalid(`${field}.activeDeadlineSeconds`, deadline, 'must be between 1 and 2147483647, inclusive'),
    );
  const nodeName = stringAt(spec.nodeName, `${field}.nodeName`, causes);
  if (nodeName) causes.push(...checkSubdomain(nodeName, `${field}.nodeName`));
  const hostname = stringAt(spec.hostname, `${field}.hostname`, causes);
  if (hostname) causes.push(...checkLabelName(hostname, `${field}.hostname`));
  const subdomain = stringAt(spec.subdomain, `${field}.subdomain`, causes);
  if (subdomain) causes.push(...checkLabelName(subdomain, `${field}.subdomain`));
  for (const key of ['serviceAccountName', 'schedulerName', 'priorityClassName'])
    stringAt(spec[key], `${field}.${key}`, causes);
  return causes;
}
