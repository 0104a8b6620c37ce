import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

/** The classic two-key case: DNS on 53/TCP (protocol left to its default) and 53/UDP. */
const coredns = (ports: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns}
spec:
  replicas: 1
  selector: {matchLabels: {app: coredns}}
  template:
    metadata: {labels: {app: coredns}}
    spec:
      containers:
      - name: x
        image: "coredns:1.11"
        ports: [${ports}]
`;
const TCP = '{containerPort: 53, name: dns-tcp}';
const UDP = (name = 'dns') => `{containerPort: 53, protocol: UDP, name: ${name}}`;

describe.each(['33', '30'])('kubectl %s: server-side apply of lists keyed by two fields', (minor) => {
  const { kubectl, ok, call } = useKubectlServer(minor);
  const ports = () =>
    ok([
      'get',
      'deployment',
      'coredns',
      '-o',
      'jsonpath={range .spec.template.spec.containers[0].ports[*]}{.containerPort}/{.protocol}/{.name} {end}',
    ]);
  const rv = () => ok(['get', 'deployment', 'coredns', '-o', 'jsonpath={.metadata.resourceVersion}']);

  it('keeps 53/TCP and 53/UDP, re-applies as a no-op, and names both keys in conflicts', async () => {
    expect(await ok(['apply', '--server-side', '-f', '-'], coredns(`${TCP}, ${UDP()}`))).toBe(
      'deployment.apps/coredns serverside-applied\n',
    );
    expect(await ports()).toBe('53/TCP/dns-tcp 53/UDP/dns ');
    const fields = await ok(['get', 'deployment', 'coredns', '-o', 'yaml', '--show-managed-fields']);
    expect(fields).toContain('k:{"containerPort":53,"protocol":"TCP"}:');
    expect(fields).toContain('k:{"containerPort":53,"protocol":"UDP"}:');

    // The same configuration again: nothing written (the defaulted protocol matches the stored one).
    const before = await rv();
    await ok(['apply', '--server-side', '-f', '-'], coredns(`${TCP}, ${UDP()}`));
    expect(await rv()).toBe(before);
    expect(await ports()).toBe('53/TCP/dns-tcp 53/UDP/dns ');

    // A second manager changing the UDP port's name conflicts on that item's field only.
    const clash = await kubectl(
      ['apply', '--server-side', '--field-manager=dns-operator', '-f', '-'],
      coredns(UDP('dns-udp')),
    );
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl": .spec.template.spec.containers[name="x"].ports[containerPort=53,protocol="UDP"].name',
    );
    expect(await ports()).toBe('53/TCP/dns-tcp 53/UDP/dns ');

    // Applying the same values shares the UDP item; kubectl then drops it from its configuration
    // and the item stays, owned by the other manager; the TCP item stays kubectl's.
    await ok(['apply', '--server-side', '--field-manager=dns-operator', '-f', '-'], coredns(UDP()));
    await ok(['apply', '--server-side', '-f', '-'], coredns(TCP));
    expect(await ports()).toBe('53/TCP/dns-tcp 53/UDP/dns ');
    const clash2 = await kubectl(
      ['apply', '--server-side', '--field-manager=dns-operator', '-f', '-'],
      coredns('{containerPort: 53, name: dns-renamed}'),
    );
    expect(clash2.stderr).toContain(
      'conflict with "kubectl": .spec.template.spec.containers[name="x"].ports[containerPort=53,protocol="TCP"].name',
    );
    // Forced, the operator takes the TCP port's name; the UDP port is untouched.
    await ok(
      ['apply', '--server-side', '--force-conflicts', '--field-manager=dns-operator', '-f', '-'],
      coredns(`{containerPort: 53, name: dns-renamed}, ${UDP()}`),
    );
    expect(await ports()).toBe('53/TCP/dns-renamed 53/UDP/dns ');
  });

  it('keys Service ports by port and protocol too', async () => {
    const svc = (ports: string) =>
      `apiVersion: v1\nkind: Service\nmetadata: {name: dns}\nspec:\n  selector: {app: coredns}\n  ports: [${ports}]\n`;
    await ok(
      ['apply', '--server-side', '-f', '-'],
      svc('{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53}'),
    );
    await ok(
      ['apply', '--server-side', '--field-manager=metrics', '-f', '-'],
      svc('{name: metrics, port: 9153}'),
    );
    expect(await ok(['get', 'service', 'dns', '-o', 'jsonpath={.spec.ports[*].name}'])).toBe(
      'dns dns-tcp metrics',
    );
    const fields = await ok(['get', 'service', 'dns', '-o', 'yaml', '--show-managed-fields']);
    expect(fields).toContain('k:{"port":53,"protocol":"UDP"}:');
    expect(fields).toContain('k:{"port":9153,"protocol":"TCP"}:');
  });

  it('records an apply to the scale subresource on the Deployment, and kubectl meets it as a conflict', async () => {
    const scaled = coredns(TCP).replaceAll('coredns', 'scaled');
    await ok(['apply', '--server-side', '-f', '-'], scaled);
    const answer = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/scaled/scale?fieldManager=hpa&force=true',
      {
        body: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name: 'scaled' },
          spec: { replicas: 3 },
        },
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(answer.status).toBe(200);
    expect(await ok(['get', 'deployment', 'scaled', '-o', 'jsonpath={.spec.replicas}'])).toBe('3');
    const fields = await ok(['get', 'deployment', 'scaled', '-o', 'yaml', '--show-managed-fields']);
    expect(fields).toMatch(/manager: hpa\n\s+operation: Apply\n\s+subresource: scale/);
    // The manifest still says 1: kubectl's apply now conflicts with the scale applier.
    const clash = await kubectl(['apply', '--server-side', '-f', '-'], scaled);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('conflict with "hpa" with subresource "scale": .spec.replicas');
    expect(await ok(['get', 'deployment', 'scaled', '-o', 'jsonpath={.spec.replicas}'])).toBe('3');
  });
});
