import { describe, expect, it } from 'vitest';
import { services } from '../../../src/control-plane/registry/core-config.js';
import { daemonsets, deployments } from '../../../src/control-plane/registry/workloads.js';
import type { UntypedObject } from '../../../src/kube/index.js';

// Issue #19: Service rules and Deployment / DaemonSet update strategies validated as
// kube-apiserver does, after the registry's defaulting (as the API server runs them).

interface Want {
  reason: string;
  field: string;
  message: string;
}
const want = (reason: string, field: string, message: string): Want => ({ reason, field, message });

function validated(def: typeof services, obj: UntypedObject) {
  def.defaults?.(obj);
  return def.validate?.(obj) ?? [];
}

const svc = (spec: Record<string, unknown>): UntypedObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec },
});

const serviceCases: Array<[string, Record<string, unknown>, Want]> = [
  [
    'type unknown',
    { type: 'Internal' },
    want(
      'FieldValueNotSupported',
      'spec.type',
      'Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ),
  ],
  ['no ports', { ports: [] }, want('FieldValueRequired', 'spec.ports', 'Required value')],
  [
    'two ports, one unnamed',
    { ports: [{ name: 'http', port: 80 }, { port: 443 }] },
    want('FieldValueRequired', 'spec.ports[1].name', 'Required value'),
  ],
  [
    'two ports with one name',
    {
      ports: [
        { name: 'http', port: 80 },
        { name: 'http', port: 8080 },
      ],
    },
    want('FieldValueDuplicate', 'spec.ports[1].name', 'Duplicate value: "http"'),
  ],
  [
    'port name not a DNS label',
    { ports: [{ name: 'HTTP', port: 80 }] },
    want(
      'FieldValueInvalid',
      'spec.ports[0].name',
      "Invalid value: \"HTTP\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ),
  ],
  [
    'one port and protocol twice',
    {
      ports: [
        { name: 'a', port: 53, protocol: 'UDP' },
        { name: 'b', port: 53, protocol: 'UDP' },
      ],
    },
    want(
      'FieldValueDuplicate',
      'spec.ports[1]',
      'Duplicate value: core.ServicePort{Name:"", Protocol:"UDP", AppProtocol:(*string)(nil), Port:53, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ),
  ],
  [
    'targetPort out of range',
    { ports: [{ port: 80, targetPort: 0x10000 }] },
    want(
      'FieldValueInvalid',
      'spec.ports[0].targetPort',
      'Invalid value: 65536: must be between 1 and 65535, inclusive',
    ),
  ],
  [
    'targetPort name invalid',
    { ports: [{ port: 80, targetPort: 'web--port' }] },
    want(
      'FieldValueInvalid',
      'spec.ports[0].targetPort',
      'Invalid value: "web--port": must not contain consecutive hyphens',
    ),
  ],
  [
    'protocol unknown',
    { ports: [{ port: 80, protocol: 'ICMP' }] },
    want(
      'FieldValueNotSupported',
      'spec.ports[0].protocol',
      'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ),
  ],
  [
    'headless NodePort',
    { type: 'NodePort', clusterIP: 'None' },
    want(
      'FieldValueInvalid',
      'spec.clusterIP',
      'Invalid value: "None": may not be set to \'None\' for NodePort services',
    ),
  ],
  [
    'clusterIPs disagreeing with clusterIP',
    { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.11'] },
    want(
      'FieldValueInvalid',
      'spec.clusterIPs',
      'Invalid value: ["10.96.0.11"]: first value must match `clusterIP`',
    ),
  ],
  [
    'clusterIP not an address',
    { clusterIP: '10.96.0.300' },
    want(
      'FieldValueInvalid',
      'spec.clusterIPs[0]',
      'Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ),
  ],
  [
    'ExternalName without a name',
    { type: 'ExternalName', ports: [] },
    want('FieldValueRequired', 'spec.externalName', 'Required value'),
  ],
  [
    'ExternalName with a clusterIP',
    { type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.96.0.10' },
    want('FieldValueForbidden', 'spec.clusterIP', 'Forbidden: may not be set for ExternalName services'),
  ],
  [
    'externalTrafficPolicy on a ClusterIP Service',
    { externalTrafficPolicy: 'Local' },
    want(
      'FieldValueInvalid',
      'spec.externalTrafficPolicy',
      'Invalid value: "Local": may only be set for externally-accessible services',
    ),
  ],
  [
    'externalTrafficPolicy unknown',
    { type: 'NodePort', externalTrafficPolicy: 'Nearest' },
    want(
      'FieldValueNotSupported',
      'spec.externalTrafficPolicy',
      'Unsupported value: "Nearest": supported values: "Cluster", "Local"',
    ),
  ],
  [
    'healthCheckNodePort on a NodePort Service',
    { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 },
    want(
      'FieldValueInvalid',
      'spec.healthCheckNodePort',
      "Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    ),
  ],
  [
    'healthCheckNodePort on a LoadBalancer Service with the Cluster policy',
    { type: 'LoadBalancer', healthCheckNodePort: 31000 },
    want(
      'FieldValueInvalid',
      'spec.healthCheckNodePort',
      "Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    ),
  ],
  [
    'healthCheckNodePort not a port',
    { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 70000 },
    want(
      'FieldValueInvalid',
      'spec.healthCheckNodePort',
      'Invalid value: 70000: must be between 1 and 65535, inclusive',
    ),
  ],
  [
    'internalTrafficPolicy unknown',
    { internalTrafficPolicy: 'Nearest' },
    want(
      'FieldValueNotSupported',
      'spec.internalTrafficPolicy',
      'Unsupported value: "Nearest": supported values: "Cluster", "Local"',
    ),
  ],
  [
    'sessionAffinity unknown',
    { sessionAffinity: 'Cookie' },
    want(
      'FieldValueNotSupported',
      'spec.sessionAffinity',
      'Unsupported value: "Cookie": supported values: "ClientIP", "None"',
    ),
  ],
  [
    'ClientIP affinity timeout above a day',
    { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } } },
    want(
      'FieldValueInvalid',
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
      'Invalid value: 86401: must be greater than 0 and less than 86400',
    ),
  ],
];

describe('Service validation', () => {
  it.each(serviceCases)('%s', (_name, spec, expected) => {
    expect(validated(services, svc(spec))).toContainEqual(expected);
  });

  it('accepts headless, multi-port, ClientIP and NodePort Services as Kubernetes does', () => {
    expect(validated(services, svc({ clusterIP: 'None', ports: [] }))).toEqual([]);
    expect(
      validated(
        services,
        svc({
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, targetPort: 'dns' },
          ],
        }),
      ),
    ).toEqual([]);
    const affinity = svc({ sessionAffinity: 'ClientIP' });
    expect(validated(services, affinity)).toEqual([]);
    expect(affinity.spec).toMatchObject({ sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } });
    const nodePort = svc({ type: 'NodePort' });
    expect(validated(services, nodePort)).toEqual([]);
    expect(nodePort.spec).toMatchObject({
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
    });
    const local = svc({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Local',
    });
    expect(validated(services, local)).toEqual([]);
    expect(
      validated(services, svc({ type: 'ExternalName', externalName: 'db.example.com.', ports: [] })),
    ).toEqual([]);
  });
});

const template = {
  metadata: { labels: { app: 'a' } },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
};
const workload = (kind: string, strategyKey: string, strategy: unknown): UntypedObject => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name: 'a', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'a' } },
    template: structuredClone(template),
    [strategyKey]: strategy,
  },
});
const ios = (v: string) => `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`;
const ru = 'spec.strategy.rollingUpdate';
const dsRu = 'spec.updateStrategy.rollingUpdate';

const strategyCases: Array<[string, typeof deployments, string, unknown, Want]> = [
  [
    'Deployment type unknown',
    deployments,
    'strategy',
    { type: 'BlueGreen' },
    want(
      'FieldValueNotSupported',
      'spec.strategy',
      'Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    ),
  ],
  [
    'Recreate with rollingUpdate',
    deployments,
    'strategy',
    { type: 'Recreate', rollingUpdate: { maxSurge: 1 } },
    want(
      'FieldValueForbidden',
      `${ru}`,
      "Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ),
  ],
  [
    'maxSurge not a percent',
    deployments,
    'strategy',
    { rollingUpdate: { maxSurge: '20 percent' } },
    want(
      'FieldValueInvalid',
      `${ru}.maxSurge`,
      `Invalid value: ${ios('20 percent')}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
    ),
  ],
  [
    'maxUnavailable negative',
    deployments,
    'strategy',
    { rollingUpdate: { maxUnavailable: -1 } },
    want(
      'FieldValueInvalid',
      `${ru}.maxUnavailable`,
      'Invalid value: -1: must be greater than or equal to 0',
    ),
  ],
  [
    'both zero',
    deployments,
    'strategy',
    { rollingUpdate: { maxUnavailable: '0%', maxSurge: 0 } },
    want(
      'FieldValueInvalid',
      `${ru}.maxUnavailable`,
      `Invalid value: ${ios('0%')}: may not be 0 when \`maxSurge\` is 0`,
    ),
  ],
  [
    'maxUnavailable above 100%',
    deployments,
    'strategy',
    { rollingUpdate: { maxUnavailable: '150%' } },
    want(
      'FieldValueInvalid',
      `${ru}.maxUnavailable`,
      `Invalid value: ${ios('150%')}: must not be greater than 100%`,
    ),
  ],
  [
    'DaemonSet type unknown',
    daemonsets,
    'updateStrategy',
    { type: 'Always' },
    want(
      'FieldValueNotSupported',
      'spec.updateStrategy',
      'Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Always", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
    ),
  ],
  [
    'DaemonSet both zero',
    daemonsets,
    'updateStrategy',
    { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } },
    want('FieldValueRequired', `${dsRu}.maxUnavailable`, 'Required value: cannot be 0 when maxSurge is 0'),
  ],
  [
    'DaemonSet both non-zero',
    daemonsets,
    'updateStrategy',
    { rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } },
    want(
      'FieldValueInvalid',
      `${dsRu}.maxSurge`,
      `Invalid value: ${ios('10%')}: may not be set when maxUnavailable is non-zero`,
    ),
  ],
  [
    'DaemonSet maxSurge of a float',
    daemonsets,
    'updateStrategy',
    { rollingUpdate: { maxUnavailable: 0, maxSurge: 1.5 } },
    want(
      'FieldValueTypeInvalid',
      `${dsRu}.maxSurge`,
      `Invalid value: "number": ${dsRu}.maxSurge in body must be of type integer or string: "number"`,
    ),
  ],
];

describe('Deployment and DaemonSet strategies', () => {
  it.each(strategyCases)('%s', (_name, def, key, strategy, expected) => {
    expect(
      validated(def, workload(def === deployments ? 'Deployment' : 'DaemonSet', key, strategy)),
    ).toContainEqual(expected);
  });

  it('accepts defaults, Recreate, OnDelete and a surge-only DaemonSet', () => {
    expect(validated(deployments, workload('Deployment', 'strategy', undefined))).toEqual([]);
    expect(validated(deployments, workload('Deployment', 'strategy', { type: 'Recreate' }))).toEqual([]);
    expect(validated(deployments, workload('Deployment', 'strategy', { type: '' }))).toEqual([]);
    expect(validated(daemonsets, workload('DaemonSet', 'updateStrategy', { type: 'OnDelete' }))).toEqual([]);
    expect(
      validated(
        daemonsets,
        workload('DaemonSet', 'updateStrategy', { rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } }),
      ),
    ).toEqual([]);
  });
});

describe('Service update from NodePort to ClusterIP', () => {
  it('drops node ports and cluster IPs the client left as they were (upstream dropTypeDependentFields)', () => {
    const old = svc({ type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: 30080 }] });
    services.defaults?.(old);
    const toClusterIP = structuredClone(old);
    (toClusterIP.spec as Record<string, unknown>).type = 'ClusterIP';
    services.prepareForUpdate?.(toClusterIP, old);
    const spec = toClusterIP.spec as { ports: { nodePort?: number }[]; clusterIP?: string };
    expect(spec.ports[0]?.nodePort).toBeUndefined();
    expect(spec.clusterIP).toBe('10.96.0.20');
    const toExternal = structuredClone(old);
    Object.assign(toExternal.spec as object, { type: 'ExternalName', externalName: 'example.org' });
    services.prepareForUpdate?.(toExternal, old);
    expect((toExternal.spec as Record<string, unknown>).clusterIP).toBeUndefined();
    expect((toExternal.spec as Record<string, unknown>).clusterIPs).toBeUndefined();
    // A node port the client changed is kept, and then judged by validation.
    const changed = structuredClone(old);
    Object.assign(changed.spec as object, { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30081 }] });
    services.prepareForUpdate?.(changed, old);
    expect((changed.spec as { ports: { nodePort?: number }[] }).ports[0]?.nodePort).toBe(30081);
  });

  it('drops the defaulted externalTrafficPolicy, and keeps one the client changed (then refused)', () => {
    const old = svc({ type: 'NodePort' });
    services.defaults?.(old);
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).type = 'ClusterIP';
    services.prepareForUpdate?.(next, old);
    expect(validated(services, next)).toEqual([]);
    const changed = structuredClone(old);
    Object.assign(changed.spec as object, { type: 'ClusterIP', externalTrafficPolicy: 'Local' });
    services.prepareForUpdate?.(changed, old);
    expect(validated(services, changed)).toContainEqual(
      want(
        'FieldValueInvalid',
        'spec.externalTrafficPolicy',
        'Invalid value: "Local": may only be set for externally-accessible services',
      ),
    );
  });
});
