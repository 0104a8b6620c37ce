/**
 * Client-side descriptions of the REST API: which resource types exist (group, version, plural)
 * and which patch content types the server accepts. Object shapes live in `src/kube/`.
 */

/**
 * Identifies a resource type: group ('' for the core group), version and plural resource name.
 * `namespaced` decides whether paths carry `/namespaces/{ns}/`.
 */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

/** A resource type plus the kind of one object (for ownerReferences, Events and `apiVersion`/`kind`). */
export interface KindedResourceType extends ResourceType {
  readonly kind: string;
}

/**
 * Well-known resource types the agent and controllers use: the one client-side table (the
 * controllers' `resourceTypes` in control-plane/machinery/resources.ts pick from it).
 */
export const resources = {
  pods: { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' },
  nodes: { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' },
  configMaps: { group: '', version: 'v1', resource: 'configmaps', namespaced: true, kind: 'ConfigMap' },
  secrets: { group: '', version: 'v1', resource: 'secrets', namespaced: true, kind: 'Secret' },
  services: { group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints', namespaced: true, kind: 'Endpoints' },
  events: { group: '', version: 'v1', resource: 'events', namespaced: true, kind: 'Event' },
  serviceAccounts: {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    namespaced: true,
    kind: 'ServiceAccount',
  },
  namespaces: { group: '', version: 'v1', resource: 'namespaces', namespaced: false, kind: 'Namespace' },
  leases: {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    namespaced: true,
    kind: 'Lease',
  },
  deployments: {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    namespaced: true,
    kind: 'Deployment',
  },
  replicaSets: {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    namespaced: true,
    kind: 'ReplicaSet',
  },
  daemonSets: { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true, kind: 'DaemonSet' },
  replicationControllers: {
    group: '',
    version: 'v1',
    resource: 'replicationcontrollers',
    namespaced: true,
    kind: 'ReplicationController',
  },
  statefulSets: {
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    namespaced: true,
    kind: 'StatefulSet',
  },
  horizontalPodAutoscalers: {
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    namespaced: true,
    kind: 'HorizontalPodAutoscaler',
  },
  podDisruptionBudgets: {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    namespaced: true,
    kind: 'PodDisruptionBudget',
  },
  controllerRevisions: {
    group: 'apps',
    version: 'v1',
    resource: 'controllerrevisions',
    namespaced: true,
    kind: 'ControllerRevision',
  },
  persistentVolumeClaims: {
    group: '',
    version: 'v1',
    resource: 'persistentvolumeclaims',
    namespaced: true,
    kind: 'PersistentVolumeClaim',
  },
  limitRanges: {
    group: '',
    version: 'v1',
    resource: 'limitranges',
    namespaced: true,
    kind: 'LimitRange',
  },
  resourceQuotas: {
    group: '',
    version: 'v1',
    resource: 'resourcequotas',
    namespaced: true,
    kind: 'ResourceQuota',
  },
  persistentVolumes: {
    group: '',
    version: 'v1',
    resource: 'persistentvolumes',
    namespaced: false,
    kind: 'PersistentVolume',
  },
  storageClasses: {
    group: 'storage.k8s.io',
    version: 'v1',
    resource: 'storageclasses',
    namespaced: false,
    kind: 'StorageClass',
  },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true, kind: 'Job' },
  cronJobs: { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true, kind: 'CronJob' },
  endpointSlices: {
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    namespaced: true,
    kind: 'EndpointSlice',
  },
  roles: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'roles',
    namespaced: true,
    kind: 'Role',
  },
  clusterRoles: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    namespaced: false,
    kind: 'ClusterRole',
  },
  roleBindings: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'rolebindings',
    namespaced: true,
    kind: 'RoleBinding',
  },
  clusterRoleBindings: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
    namespaced: false,
    kind: 'ClusterRoleBinding',
  },
  selfSubjectAccessReviews: {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectaccessreviews',
    namespaced: false,
    kind: 'SelfSubjectAccessReview',
  },
  selfSubjectRulesReviews: {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectrulesreviews',
    namespaced: false,
    kind: 'SelfSubjectRulesReview',
  },
  subjectAccessReviews: {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'subjectaccessreviews',
    namespaced: false,
    kind: 'SubjectAccessReview',
  },
  localSubjectAccessReviews: {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'localsubjectaccessreviews',
    namespaced: true,
    kind: 'LocalSubjectAccessReview',
  },
  certificateSigningRequests: {
    group: 'certificates.k8s.io',
    version: 'v1',
    resource: 'certificatesigningrequests',
    namespaced: false,
    kind: 'CertificateSigningRequest',
  },
  tokenReviews: {
    group: 'authentication.k8s.io',
    version: 'v1',
    resource: 'tokenreviews',
    namespaced: false,
    kind: 'TokenReview',
  },
  selfSubjectReviews: {
    group: 'authentication.k8s.io',
    version: 'v1',
    resource: 'selfsubjectreviews',
    namespaced: false,
    kind: 'SelfSubjectReview',
  },
  nodeMetrics: {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    resource: 'nodes',
    namespaced: false,
    kind: 'NodeMetrics',
  },
  podMetrics: {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    resource: 'pods',
    namespaced: true,
    kind: 'PodMetrics',
  },
} as const satisfies Record<string, KindedResourceType>;

/** Patch flavours the API server accepts, by content type. */
export type PatchType = 'merge' | 'strategic' | 'json';

export const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};
