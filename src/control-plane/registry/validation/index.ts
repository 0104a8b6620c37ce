/**
 * Validation of the built-in kinds as kube-apiserver does it, split by concept: field error
 * constructors and type guards, names, quantities and resources, selectors, scheduling fields,
 * ports, containers, volumes, pod specs and workloads.
 */
export { checkContainer } from './container.js';
export {
  absent,
  duplicate,
  ensureRecord,
  forbidden,
  getPath,
  intAt,
  invalid,
  isRecord,
  listAt,
  nonNegativeAt,
  recordAt,
  required,
  stringAt,
  typeInvalid,
  unsupported,
} from './field.js';
export {
  checkAnnotations,
  checkDns1035,
  checkLabelName,
  checkLabels,
  checkLabelValue,
  checkQualifiedName,
  checkSubdomain,
  totalAnnotationSizeLimit,
} from './names.js';
export { checkPodSpec, podRestartPolicies } from './pod-spec.js';
export { checkPortNumber, checkPortNumOrName, protocols } from './ports.js';
export { checkQuantity, checkResources, isQuantity, quantityPattern } from './quantity.js';
export { checkAffinity, checkTolerations } from './scheduling.js';
export { checkLabelSelector } from './selectors.js';
export { checkService, defaultServicePolicies, dropStaleTrafficPolicy, needsHealthCheck } from './service.js';
export { checkStatefulSet, checkStatefulSetUpdate } from './statefulset.js';
export { accessModes, checkClaimSpec } from './storage.js';
export { checkDaemonSetStrategy, checkDeploymentStrategy } from './strategy.js';
export { checkVolumes } from './volumes.js';
export { checkNonNegativeInt, checkSelectorMatches } from './workload.js';
