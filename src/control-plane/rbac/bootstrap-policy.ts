/**
 * The default ClusterRoles and ClusterRoleBindings (after kube-apiserver's bootstrap policy in
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy), reconciled at every start, plus the roles of
 * tugboat's own scheduler and controllers so they run with least privilege.
 */
import type { PolicyRule } from './types.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL = [...READ, ...WRITE];

function rule(apiGroups: string[], resources: string[], verbs: string[]): PolicyRule {
  return { apiGroups, resources, verbs };
}

/** A ClusterRole to reconcile: name, labels, rules, and an aggregation rule when aggregated. */
export interface DefaultClusterRole {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly rules: readonly PolicyRule[];
  /** Label keys (value "true") whose ClusterRoles are aggregated into this one. */
  readonly aggregateFrom?: string;
}

/** A ClusterRoleBinding to reconcile. */
export interface DefaultClusterRoleBinding {
  readonly name: string;
  readonly role: string;
  readonly subjects: ReadonlyArray<{ kind: 'User' | 'Group'; name: string }>;
}

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

/** The user name tugboat's in-process controllers authenticate as. */
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

/** The groups that bypass authorization (kube-apiserver's privileged `system:masters`). */
export const SUPERUSER_GROUPS = ['system:masters'];

const viewRules: PolicyRule[] = [
  rule(
    [''],
    [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
      'namespaces',
    ],
    READ,
  ),
  rule(['discovery.k8s.io'], ['endpointslices'], READ),
  rule(
    ['apps'],
    [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
    READ,
  ),
  rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
  rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
  rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
  rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
];

const editRules: PolicyRule[] = [
  rule(
    [''],
    ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy'],
    READ,
  ),
  rule([''], ['serviceaccounts'], ['impersonate']),
  rule([''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward'], WRITE),
  rule([''], ['pods/eviction'], ['create']),
  rule(
    [''],
    [
      'configmaps',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
    WRITE,
  ),
  rule([''], ['serviceaccounts/token'], ['create']),
  rule(
    ['apps'],
    [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
    WRITE,
  ),
  rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
  rule(['batch'], ['cronjobs', 'jobs'], WRITE),
  rule(['policy'], ['poddisruptionbudgets'], WRITE),
  rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
  rule(['coordination.k8s.io'], ['leases'], ALL),
];

const adminRules: PolicyRule[] = [
  rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
  rule(['rbac.authorization.k8s.io'], ['rolebindings', 'roles'], ALL),
];

const DISCOVERY_URLS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/livez',
  '/openapi',
  '/openapi/*',
  '/readyz',
  '/version',
  '/version/',
];
const ISSUER_DISCOVERY_URLS = [
  '/.well-known/openid-configuration',
  '/.well-known/openid-configuration/',
  '/openid/v1/jwks',
  '/openid/v1/jwks/',
];
const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

/**
 * What the controllers change: the kinds in control-plane/machinery/resources.ts with their status
 * subresources. A controller for a new kind adds its resources here (or gets 403 Forbidden).
 */
const controllerManagerRules: PolicyRule[] = [
  rule([''], ['pods', 'pods/status', 'nodes', 'nodes/status', 'services', 'services/status'], ALL),
  rule(
    [''],
    [
      'endpoints',
      'events',
      'namespaces',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'persistentvolumes',
      'persistentvolumes/status',
      'replicationcontrollers',
      'replicationcontrollers/status',
    ],
    ALL,
  ),
  // The resource quota controller recounts what quotas name from live lists (kube's lists and
  // watches every kind; ours lists the built-in kinds it counts, the rest are covered above).
  rule([''], ['configmaps', 'secrets', 'serviceaccounts', 'resourcequotas'], ['list']),
  rule([''], ['resourcequotas'], READ),
  rule([''], ['resourcequotas/status'], ['update', 'patch']),
  // The volume binder and the local-path provisioner read classes; only an admin writes them.
  rule(['storage.k8s.io'], ['storageclasses'], READ),
  rule([''], ['pods/binding'], ['create']),
  rule(
    ['apps'],
    [
      'deployments',
      'deployments/status',
      'replicasets',
      'replicasets/status',
      'daemonsets',
      'daemonsets/status',
      'statefulsets',
      'statefulsets/status',
      'controllerrevisions',
    ],
    ALL,
  ),
  rule(['batch'], ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status'], ALL),
  rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], ALL),
  // The horizontal-pod-autoscaler controller: its objects, any workload's scale, pod metrics.
  rule(['autoscaling'], ['horizontalpodautoscalers'], ['get', 'list', 'watch']),
  rule(['autoscaling'], ['horizontalpodautoscalers/status'], ['patch', 'update']),
  rule(['*'], ['*/scale'], ['get', 'update']),
  rule(['metrics.k8s.io'], ['pods'], ['list']),
  rule(['coordination.k8s.io'], ['leases'], ALL),
  rule(['discovery.k8s.io'], ['endpointslices'], ALL),
  // CSR approver and signer (the bootstrap token cleaner runs in the API server: no Secret access here).
  rule(['certificates.k8s.io'], ['certificatesigningrequests'], READ),
  rule(
    ['certificates.k8s.io'],
    ['certificatesigningrequests/approval', 'certificatesigningrequests/status'],
    ['patch', 'update'],
  ),
  rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
];

/** Who may ask for which node certificate (upstream's CSR roles, bound as kubeadm binds them). */
const CSR_GROUP = 'certificates.k8s.io';
const NODE_CLIENT_ROLE = 'system:certificates.k8s.io:certificatesigningrequests:nodeclient';
const SELF_NODE_CLIENT_ROLE = 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient';

const schedulerRules: PolicyRule[] = [
  rule(
    [''],
    ['pods', 'nodes', 'namespaces', 'services', 'persistentvolumeclaims', 'persistentvolumes'],
    READ,
  ),
  // WaitForFirstConsumer: the scheduler names the chosen node on the claim (selected-node annotation).
  rule([''], ['persistentvolumeclaims'], ['patch', 'update']),
  rule(['storage.k8s.io'], ['storageclasses'], READ),
  rule([''], ['pods/binding'], ['create']),
  rule([''], ['pods/status'], ['patch', 'update']),
  rule([''], ['events'], ['create', 'patch', 'update']),
  rule(['coordination.k8s.io'], ['leases'], ALL),
];

/** What a node may do at most (the node authorizer narrows it to its own objects). */
const nodeRules: PolicyRule[] = [
  rule([''], ['nodes', 'pods', 'services', 'endpoints', 'namespaces', 'serviceaccounts'], READ),
  rule([''], ['nodes', 'nodes/status'], ['create', 'get', 'list', 'watch', 'patch', 'update']),
  rule([''], ['pods/status'], ['patch', 'update']),
  rule([''], ['pods'], ['delete']),
  rule([''], ['events'], ['create', 'patch', 'update']),
  rule([''], ['secrets', 'configmaps', 'persistentvolumeclaims', 'persistentvolumes'], ['get']),
  rule([''], ['serviceaccounts/token'], ['create']),
  rule(['coordination.k8s.io'], ['leases'], ['create', 'delete', 'get', 'patch', 'update']),
];

/** The default ClusterRoles, in the order they are reconciled. */
export const defaultClusterRoles: readonly DefaultClusterRole[] = [
  {
    name: 'cluster-admin',
    rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ],
  },
  { name: 'admin', labels: {}, rules: [], aggregateFrom: `${AGG}admin` },
  { name: 'edit', labels: { [`${AGG}admin`]: 'true' }, rules: [], aggregateFrom: `${AGG}edit` },
  { name: 'view', labels: { [`${AGG}edit`]: 'true' }, rules: [], aggregateFrom: `${AGG}view` },
  { name: 'system:aggregate-to-admin', labels: { [`${AGG}admin`]: 'true' }, rules: adminRules },
  { name: 'system:aggregate-to-edit', labels: { [`${AGG}edit`]: 'true' }, rules: editRules },
  { name: 'system:aggregate-to-view', labels: { [`${AGG}view`]: 'true' }, rules: viewRules },
  { name: 'system:discovery', rules: [{ nonResourceURLs: DISCOVERY_URLS, verbs: ['get'] }] },
  { name: 'system:public-info-viewer', rules: [{ nonResourceURLs: PUBLIC_INFO_URLS, verbs: ['get'] }] },
  {
    name: 'system:basic-user',
    rules: [
      rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']),
      rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create']),
    ],
  },
  {
    // Delegated authentication and authorization (extension API servers, kube-rbac-proxy).
    name: 'system:auth-delegator',
    rules: [
      rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
      rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    ],
  },
  {
    name: 'system:service-account-issuer-discovery',
    rules: [{ nonResourceURLs: ISSUER_DISCOVERY_URLS, verbs: ['get'] }],
  },
  { name: 'system:kube-controller-manager', rules: controllerManagerRules },
  { name: 'system:kube-scheduler', rules: schedulerRules },
  { name: 'system:node', rules: nodeRules },
  {
    // As kube-apiserver's: reading through the node proxy to the agents (bound to nobody by default).
    name: 'system:kubelet-api-admin',
    rules: [
      rule([''], ['nodes'], [...READ, 'proxy']),
      rule([''], ['nodes/proxy', 'nodes/metrics', 'nodes/stats', 'nodes/log', 'nodes/spec'], ['*']),
    ],
  },
  {
    // As metrics-server ships it: whoever may view pods may read their metrics (`kubectl top`).
    name: 'system:aggregated-metrics-reader',
    labels: { [`${AGG}view`]: 'true', [`${AGG}edit`]: 'true', [`${AGG}admin`]: 'true' },
    rules: [rule(['metrics.k8s.io'], ['pods', 'nodes'], READ)],
  },
  {
    name: 'system:node-bootstrapper',
    rules: [rule([CSR_GROUP], ['certificatesigningrequests'], ['create', 'get', 'list', 'watch'])],
  },
  {
    name: NODE_CLIENT_ROLE,
    rules: [rule([CSR_GROUP], ['certificatesigningrequests/nodeclient'], ['create'])],
  },
  {
    name: SELF_NODE_CLIENT_ROLE,
    rules: [rule([CSR_GROUP], ['certificatesigningrequests/selfnodeclient'], ['create'])],
  },
];

const group = (name: string) => ({ kind: 'Group' as const, name });
const user = (name: string) => ({ kind: 'User' as const, name });
/** A binding named after its ClusterRole, as all the default ones are. */
const bindRole = (
  role: string,
  ...subjects: DefaultClusterRoleBinding['subjects']
): DefaultClusterRoleBinding => ({
  name: role,
  role,
  subjects,
});

/** The default ClusterRoleBindings. */
export const defaultClusterRoleBindings: readonly DefaultClusterRoleBinding[] = [
  bindRole('cluster-admin', group('system:masters'), group('tugboat:admins')),
  bindRole('system:discovery', group('system:authenticated')),
  bindRole('system:basic-user', group('system:authenticated')),
  bindRole('system:public-info-viewer', group('system:authenticated'), group('system:unauthenticated')),
  // As upstream: every service account may fetch the issuer discovery documents.
  bindRole('system:service-account-issuer-discovery', group('system:serviceaccounts')),
  bindRole('system:kube-controller-manager', user(CONTROLLER_MANAGER_USER)),
  bindRole('system:kube-scheduler', user(CONTROLLER_MANAGER_USER)),
  // As upstream: no subjects; nodes are authorized by the node authorizer, which is narrower.
  bindRole('system:node'),
  // TLS bootstrapping: bootstrap tokens may ask for a node client certificate, which the approver
  // grants automatically (after checking the instance); nodes may renew their own.
  bindRole('system:node-bootstrapper', group('system:bootstrappers')),
  bindRole(NODE_CLIENT_ROLE, group('system:bootstrappers')),
  bindRole(SELF_NODE_CLIENT_ROLE, group('system:nodes')),
];
