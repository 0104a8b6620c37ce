import type { Job, Pod, PodFailurePolicyRule } from '../../kube/index.js';

/** What a Job's podFailurePolicy says about one failed pod. */
export interface FailureVerdict {
  readonly action: PodFailurePolicyRule['action'];
  /** For FailJob: the Failed condition's message, in kube's words. */
  readonly message: string;
}

function exitCodeMatch(pod: Pod, rule: PodFailurePolicyRule, index: number): string | undefined {
  const req = rule.onExitCodes;
  if (!req || !Array.isArray(req.values)) return undefined;
  for (const c of pod.status?.containerStatuses ?? []) {
    if (req.containerName && c.name !== req.containerName) continue;
    const code = c.state?.terminated?.exitCode;
    // Containers that exited 0 never match, whatever the operator (upstream's rule).
    if (typeof code !== 'number' || code === 0) continue;
    const listed = req.values.includes(code);
    if (req.operator === 'In' ? listed : req.operator === 'NotIn' && !listed)
      return `Container ${c.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${code} matching ${rule.action} rule at index ${index}`;
  }
  return undefined;
}

function conditionMatch(pod: Pod, rule: PodFailurePolicyRule, index: number): string | undefined {
  if (!Array.isArray(rule.onPodConditions)) return undefined;
  for (const want of rule.onPodConditions) {
    const hit = (pod.status?.conditions ?? []).find(
      (c) => c.type === want.type && c.status === (want.status ?? 'True'),
    );
    if (hit)
      return `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${want.type} matching ${rule.action} rule at index ${index}`;
  }
  return undefined;
}

/**
 * The first podFailurePolicy rule matching a failed pod (exit codes of its terminated containers, or
 * its conditions such as DisruptionTarget), or undefined when no rule matches (the failure counts).
 */
export function judgeFailedPod(job: Job, pod: Pod): FailureVerdict | undefined {
  const rules = job.spec.podFailurePolicy?.rules;
  if (!Array.isArray(rules)) return undefined;
  for (const [i, rule] of rules.entries()) {
    const message = exitCodeMatch(pod, rule, i) ?? conditionMatch(pod, rule, i);
    if (message) return { action: rule.action, message };
  }
  return undefined;
}
