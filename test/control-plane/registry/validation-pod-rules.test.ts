import { describe, expect, it } from 'vitest';
import { checkPodSpec } from '../../../src/control-plane/registry/validation.js';

// Issue #19: validation gaps closed — security contexts, lifecycle hooks, envFrom, downwardAPI and
// projected volumes, topology spread constraints and ephemeral containers — with kube-apiserver's
// field paths and messages. Each row: one change to a valid pod spec, and one cause it must give.

type Spec = Record<string, unknown>;
const base = (): Spec => ({ containers: [{ name: 'app', image: 'busybox' }] });
const withContainer = (extra: Spec) => (s: Spec) => {
  (s.containers as Spec[])[0] = { ...(s.containers as Spec[])[0], ...extra };
};
const set = (extra: Spec) => (s: Spec) => {
  Object.assign(s, extra);
};
const withVolume = (v: Spec) => (s: Spec) => {
  s.volumes = [{ name: 'v', ...v }];
};
const c0 = 'spec.containers[0]';

interface Want {
  reason: string;
  field: string;
  message: string;
}
const want = (reason: string, field: string, message: string): Want => ({ reason, field, message });

const cases: Array<[string, (s: Spec) => void, Want]> = [
  // securityContext (pod)
  [
    'pod runAsUser below 0',
    set({ securityContext: { runAsUser: -1 } }),
    want(
      'FieldValueInvalid',
      'spec.securityContext.runAsUser',
      'Invalid value: -1: must be between 0 and 2147483647, inclusive',
    ),
  ],
  [
    'pod fsGroup above 2^31-1',
    set({ securityContext: { fsGroup: 2147483648 } }),
    want(
      'FieldValueInvalid',
      'spec.securityContext.fsGroup',
      'Invalid value: 2147483648: must be between 0 and 2147483647, inclusive',
    ),
  ],
  [
    'supplementalGroups item out of range',
    set({ securityContext: { supplementalGroups: [1, -5] } }),
    want(
      'FieldValueInvalid',
      'spec.securityContext.supplementalGroups[1]',
      'Invalid value: -5: must be between 0 and 2147483647, inclusive',
    ),
  ],
  [
    'fsGroupChangePolicy unknown',
    set({ securityContext: { fsGroupChangePolicy: 'Sometimes' } }),
    want(
      'FieldValueNotSupported',
      'spec.securityContext.fsGroupChangePolicy',
      'Unsupported value: "Sometimes": supported values: "Always", "OnRootMismatch"',
    ),
  ],
  [
    'sysctl name malformed',
    set({ securityContext: { sysctls: [{ name: 'Net.IPv4', value: '1' }] } }),
    want(
      'FieldValueInvalid',
      'spec.securityContext.sysctls[0].name',
      'Invalid value: "Net.IPv4": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$',
    ),
  ],
  [
    'sysctl name repeated',
    set({
      securityContext: {
        sysctls: [
          { name: 'net.core.somaxconn', value: '1' },
          { name: 'net.core.somaxconn', value: '2' },
        ],
      },
    }),
    want(
      'FieldValueDuplicate',
      'spec.securityContext.sysctls[1].name',
      'Duplicate value: "net.core.somaxconn"',
    ),
  ],
  [
    'seccomp type unknown',
    set({ securityContext: { seccompProfile: { type: 'Strict' } } }),
    want(
      'FieldValueNotSupported',
      'spec.securityContext.seccompProfile.type',
      'Unsupported value: "Strict": supported values: "Localhost", "RuntimeDefault", "Unconfined"',
    ),
  ],
  [
    'seccomp Localhost without a profile',
    set({ securityContext: { seccompProfile: { type: 'Localhost' } } }),
    want(
      'FieldValueRequired',
      'spec.securityContext.seccompProfile.localhostProfile',
      'Required value: must be set when seccomp type is Localhost',
    ),
  ],
  [
    'seccomp profile escaping its directory',
    set({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../x.json' } } }),
    want(
      'FieldValueInvalid',
      'spec.securityContext.seccompProfile.localhostProfile',
      'Invalid value: "../x.json": must not contain \'..\'',
    ),
  ],
  [
    'appArmor type missing',
    set({ securityContext: { appArmorProfile: {} } }),
    want(
      'FieldValueRequired',
      'spec.securityContext.appArmorProfile.type',
      'Required value: type is required when appArmorProfile is set',
    ),
  ],
  [
    'shareProcessNamespace with hostPID',
    (s) => Object.assign(s, { hostPID: true, securityContext: { shareProcessNamespace: true } }),
    want(
      'FieldValueInvalid',
      'spec.securityContext.shareProcessNamespace',
      'Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled',
    ),
  ],
  // securityContext (container)
  [
    'container runAsGroup out of range',
    withContainer({ securityContext: { runAsGroup: -2 } }),
    want(
      'FieldValueInvalid',
      `${c0}.securityContext.runAsGroup`,
      'Invalid value: -2: must be between 0 and 2147483647, inclusive',
    ),
  ],
  [
    'capability not a string',
    withContainer({ securityContext: { capabilities: { add: [7] } } }),
    want(
      'FieldValueTypeInvalid',
      `${c0}.securityContext.capabilities.add[0]`,
      `Invalid value: "integer": ${c0}.securityContext.capabilities.add[0] in body must be of type string: "integer"`,
    ),
  ],
  [
    'privileged without privilege escalation',
    withContainer({ securityContext: { privileged: true, allowPrivilegeEscalation: false } }),
    want(
      'FieldValueInvalid',
      `${c0}.securityContext`,
      'Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
    ),
  ],
  [
    'container appArmor profile set for RuntimeDefault',
    withContainer({
      securityContext: { appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'p' } },
    }),
    want(
      'FieldValueInvalid',
      `${c0}.securityContext.appArmorProfile.localhostProfile`,
      'Invalid value: {"type":"RuntimeDefault","localhostProfile":"p"}: can only be set when AppArmor type is Localhost',
    ),
  ],
  // lifecycle
  [
    'preStop with no handler',
    withContainer({ lifecycle: { preStop: {} } }),
    want('FieldValueRequired', `${c0}.lifecycle.preStop`, 'Required value: must specify a handler type'),
  ],
  [
    'postStart with two handlers',
    withContainer({ lifecycle: { postStart: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } } }),
    want(
      'FieldValueForbidden',
      `${c0}.lifecycle.postStart.tcpSocket`,
      'Forbidden: may not specify more than 1 handler type',
    ),
  ],
  [
    'postStart exec without a command',
    withContainer({ lifecycle: { postStart: { exec: { command: [] } } } }),
    want('FieldValueRequired', `${c0}.lifecycle.postStart.exec.command`, 'Required value'),
  ],
  [
    'preStop httpGet port out of range',
    withContainer({ lifecycle: { preStop: { httpGet: { path: '/quit', port: 70000 } } } }),
    want(
      'FieldValueInvalid',
      `${c0}.lifecycle.preStop.httpGet.port`,
      'Invalid value: 70000: must be between 1 and 65535, inclusive',
    ),
  ],
  [
    'preStop httpGet empty path',
    withContainer({ lifecycle: { preStop: { httpGet: { path: '', port: 80 } } } }),
    want('FieldValueRequired', `${c0}.lifecycle.preStop.httpGet.path`, 'Required value'),
  ],
  [
    'preStop httpGet header name',
    withContainer({
      lifecycle: { preStop: { httpGet: { port: 80, httpHeaders: [{ name: 'X Bad', value: 'v' }] } } },
    }),
    want(
      'FieldValueInvalid',
      `${c0}.lifecycle.preStop.httpGet.httpHeaders[0].name`,
      "Invalid value: \"X Bad\": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
    ),
  ],
  [
    'preStop sleep past the grace period',
    (s) => {
      s.terminationGracePeriodSeconds = 10;
      withContainer({ lifecycle: { preStop: { sleep: { seconds: 20 } } } })(s);
    },
    want(
      'FieldValueInvalid',
      `${c0}.lifecycle.preStop.sleep`,
      'Invalid value: 20: must be non-negative and less than terminationGracePeriodSeconds (10)',
    ),
  ],
  [
    'lifecycle on a plain init container',
    set({
      initContainers: [
        { name: 'init', image: 'busybox', lifecycle: { preStop: { exec: { command: ['x'] } } } },
      ],
    }),
    want(
      'FieldValueForbidden',
      'spec.initContainers[0].lifecycle',
      'Forbidden: may not be set for init containers without restartPolicy=Always',
    ),
  ],
  // envFrom
  [
    'envFrom with no source',
    withContainer({ envFrom: [{ prefix: 'A_' }] }),
    want(
      'FieldValueInvalid',
      `${c0}.envFrom`,
      'Invalid value: "": must specify one of: `configMapRef` or `secretRef`',
    ),
  ],
  [
    'envFrom with both sources',
    withContainer({ envFrom: [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }] }),
    want(
      'FieldValueInvalid',
      `${c0}.envFrom`,
      'Invalid value: "": may not have more than one field specified at a time',
    ),
  ],
  [
    'envFrom prefix with "="',
    withContainer({ envFrom: [{ prefix: 'A=', configMapRef: { name: 'a' } }] }),
    want(
      'FieldValueInvalid',
      `${c0}.envFrom[0].prefix`,
      'Invalid value: "A=": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
    ),
  ],
  [
    'envFrom configMap without a name',
    withContainer({ envFrom: [{ configMapRef: {} }] }),
    want('FieldValueRequired', `${c0}.envFrom[0].configMapRef.name`, 'Required value'),
  ],
  [
    'env fieldRef to a path env cannot read',
    withContainer({ env: [{ name: 'L', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }] }),
    want(
      'FieldValueNotSupported',
      `${c0}.env[0].valueFrom.fieldRef.fieldPath`,
      'Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    ),
  ],
  // downwardAPI and projected volumes
  [
    'downwardAPI item path with ..',
    withVolume({ downwardAPI: { items: [{ path: 'a/../../b', fieldRef: { fieldPath: 'metadata.name' } }] } }),
    want(
      'FieldValueInvalid',
      'spec.volumes[0].downwardAPI.path',
      'Invalid value: "a/../../b": must not contain \'..\'',
    ),
  ],
  [
    'downwardAPI item path absolute',
    withVolume({ downwardAPI: { items: [{ path: '/etc/x', fieldRef: { fieldPath: 'metadata.name' } }] } }),
    want(
      'FieldValueInvalid',
      'spec.volumes[0].downwardAPI.path',
      'Invalid value: "/etc/x": must be a relative path',
    ),
  ],
  [
    'downwardAPI field path not allowed',
    withVolume({ downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }),
    want(
      'FieldValueNotSupported',
      'spec.volumes[0].downwardAPI.fieldRef.fieldPath',
      'Unsupported value: "status.podIP": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
    ),
  ],
  [
    'downwardAPI field path unknown',
    withVolume({ downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'spec.nope' } }] } }),
    want(
      'FieldValueInvalid',
      'spec.volumes[0].downwardAPI.fieldRef.fieldPath',
      'Invalid value: "spec.nope": error converting fieldPath: field label not supported: spec.nope',
    ),
  ],
  [
    'downwardAPI item with neither ref',
    withVolume({ downwardAPI: { items: [{ path: 'x' }] } }),
    want(
      'FieldValueRequired',
      'spec.volumes[0].downwardAPI',
      'Required value: one of fieldRef and resourceFieldRef is required',
    ),
  ],
  [
    'downwardAPI defaultMode above 0777',
    withVolume({ downwardAPI: { defaultMode: 0o1000, items: [] } }),
    want(
      'FieldValueInvalid',
      'spec.volumes[0].downwardAPI.defaultMode',
      'Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive',
    ),
  ],
  [
    'projected item mode negative',
    withVolume({
      projected: { sources: [{ secret: { name: 's', items: [{ key: 'k', path: 'p', mode: -1 }] } }] },
    }),
    want(
      'FieldValueInvalid',
      'spec.volumes[0].projected.sources[0].secret.items[0].mode',
      'Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive',
    ),
  ],
  [
    'projected source with two kinds',
    withVolume({ projected: { sources: [{ secret: { name: 's' }, configMap: { name: 'c' } }] } }),
    want(
      'FieldValueForbidden',
      'spec.volumes[0].projected.sources[0]',
      'Forbidden: may not specify more than 1 volume type per source',
    ),
  ],
  [
    'projected duplicate paths',
    withVolume({
      projected: {
        sources: [
          { secret: { name: 's', items: [{ key: 'k', path: 'same' }] } },
          { configMap: { name: 'c', items: [{ key: 'k', path: 'same' }] } },
        ],
      },
    }),
    want('FieldValueInvalid', 'spec.volumes[0].projected', 'Invalid value: "c": conflicting duplicate paths'),
  ],
  [
    'projected token too short-lived',
    withVolume({ projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 60 } }] } }),
    want(
      'FieldValueInvalid',
      'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds',
      'Invalid value: 60: may not specify a duration less than 10 minutes',
    ),
  ],
  [
    'secret volume item path starting with ..',
    withVolume({ secret: { secretName: 's', items: [{ key: 'k', path: '..data' }] } }),
    want(
      'FieldValueInvalid',
      'spec.volumes[0].secret.items[0].path',
      'Invalid value: "..data": must not start with \'..\'',
    ),
  ],
  // topologySpreadConstraints
  [
    'maxSkew zero',
    set({
      topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
    }),
    want(
      'FieldValueInvalid',
      'spec.topologySpreadConstraints[0].maxSkew',
      'Invalid value: 0: must be greater than zero',
    ),
  ],
  [
    'topologyKey missing',
    set({ topologySpreadConstraints: [{ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }] }),
    want(
      'FieldValueRequired',
      'spec.topologySpreadConstraints[0].topologyKey',
      'Required value: can not be empty',
    ),
  ],
  [
    'whenUnsatisfiable unknown',
    set({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Maybe' }] }),
    want(
      'FieldValueNotSupported',
      'spec.topologySpreadConstraints[0].whenUnsatisfiable',
      'Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"',
    ),
  ],
  [
    'two constraints with one key and action',
    set({
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        { maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
      ],
    }),
    want(
      'FieldValueDuplicate',
      'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}',
      'Duplicate value: "{zone, DoNotSchedule}"',
    ),
  ],
  [
    'minDomains with ScheduleAnyway',
    set({
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', minDomains: 2 },
      ],
    }),
    want(
      'FieldValueInvalid',
      'spec.topologySpreadConstraints[0].minDomains',
      'Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway',
    ),
  ],
  // ephemeral containers
  [
    'ephemeral containers on create',
    set({ ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }),
    want('FieldValueForbidden', 'spec.ephemeralContainers', 'Forbidden: cannot be set on create'),
  ],
  [
    'ephemeral container with ports',
    set({ ephemeralContainers: [{ name: 'debug', image: 'busybox', ports: [{ containerPort: 80 }] }] }),
    want(
      'FieldValueForbidden',
      'spec.ephemeralContainers[0].ports',
      'Forbidden: cannot be set for an Ephemeral Container',
    ),
  ],
  [
    'ephemeral container with a probe',
    set({
      ephemeralContainers: [{ name: 'debug', image: 'busybox', readinessProbe: { tcpSocket: { port: 80 } } }],
    }),
    want(
      'FieldValueForbidden',
      'spec.ephemeralContainers[0].readinessProbe',
      'Forbidden: cannot be set for an Ephemeral Container',
    ),
  ],
  [
    'ephemeral container with resources',
    set({ ephemeralContainers: [{ name: 'debug', image: 'busybox', resources: { limits: { cpu: '1' } } }] }),
    want(
      'FieldValueForbidden',
      'spec.ephemeralContainers[0].resources',
      'Forbidden: cannot be set for an Ephemeral Container',
    ),
  ],
  [
    'ephemeral container named like an app container',
    set({ ephemeralContainers: [{ name: 'app', image: 'busybox' }] }),
    want('FieldValueDuplicate', 'spec.ephemeralContainers[0].name', 'Duplicate value: "app"'),
  ],
];

describe('pod spec validation gaps (kube-apiserver paths and messages)', () => {
  it.each(cases)('%s', (_name, change, expected) => {
    const spec = base();
    change(spec);
    expect(checkPodSpec(spec, 'spec')).toContainEqual(expected);
  });

  it('a pod template names ephemeral containers as not allowed in templates', () => {
    const spec = { ...base(), ephemeralContainers: [{ name: 'debug', image: 'busybox' }] };
    expect(checkPodSpec(spec, 'spec.template.spec', ['Always'])).toContainEqual(
      want(
        'FieldValueForbidden',
        'spec.template.spec.ephemeralContainers',
        'Forbidden: ephemeral containers not allowed in pod template',
      ),
    );
  });

  it('accepts what Kubernetes accepts for the same fields', () => {
    const spec: Spec = {
      terminationGracePeriodSeconds: 30,
      securityContext: {
        runAsUser: 1000,
        runAsGroup: 0,
        fsGroup: 2000,
        supplementalGroups: [3000],
        fsGroupChangePolicy: 'OnRootMismatch',
        sysctls: [
          { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
          { name: 'kernel/shm_rmid_forced', value: '1' },
        ],
        seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' },
        appArmorProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'app',
          image: 'busybox',
          securityContext: {
            capabilities: { add: ['NET_ADMIN', 'CAP_WHATEVER'], drop: ['ALL'] },
            runAsNonRoot: true,
          },
          lifecycle: {
            postStart: { exec: { command: ['sh', '-c', 'true'] } },
            preStop: { sleep: { seconds: 5 } },
          },
          env: [{ name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }],
          envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }, { secretRef: { name: 'creds' } }],
        },
      ],
      volumes: [
        {
          name: 'info',
          downwardAPI: {
            defaultMode: 0o644,
            items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }],
          },
        },
        {
          name: 'all',
          projected: {
            sources: [
              { secret: { name: 's', items: [{ key: 'k', path: 'dir/secret', mode: 0o400 }] } },
              { configMap: { name: 'c' } },
              {
                downwardAPI: {
                  items: [
                    { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } },
                  ],
                },
              },
              { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
            ],
          },
        },
      ],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'DoNotSchedule',
          minDomains: 2,
          labelSelector: { matchLabels: { app: 'a' } },
        },
        { maxSkew: 3, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' },
      ],
    };
    expect(checkPodSpec(spec, 'spec')).toEqual([]);
  });
});
