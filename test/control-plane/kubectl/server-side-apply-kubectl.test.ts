import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1", ports: [{containerPort: 80}]}
`;

/** A CRD whose ports are a list-map keyed by name, and a string large enough for a 300 KiB object. */
const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.ssa-test.example.com}
spec:
  group: ssa-test.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              blob: {type: string}
              tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer}
`;

const gadget = (name: string, ports: [string, number][], extra = '') => `apiVersion: ssa-test.example.com/v1
kind: Gadget
metadata: {name: ${name}}
spec:
  ports: [${ports.map(([n, p]) => `{name: ${n}, port: ${p}}`).join(', ')}]${extra}
`;

// The kubectl minors issue #13's acceptance names (the dispatcher picks the binary by /version).
describe.each(['33', '30'])('kubectl %s and server-side apply', (minor) => {
  const { kubectl, ok } = useKubectlServer(minor);
  const managers = async (args: readonly string[]) => {
    const obj = JSON.parse(await ok(['get', ...args, '-o', 'json', '--show-managed-fields']));
    return (obj.metadata.managedFields ?? []).map(
      (e: { manager: string; operation: string }) => `${e.manager}/${e.operation}`,
    );
  };

  it('applies a Deployment server-side, then client-side, then meets and forces a conflict', async () => {
    expect(await ok(['version'])).toContain(`Client Version: v1.${minor}.`);
    expect(await ok(['apply', '--server-side', '-f', '-'], deployment(2))).toBe(
      'deployment.apps/web serverside-applied\n',
    );
    expect(await managers(['deployment', 'web'])).toEqual(['kubectl/Apply']);
    const yaml = await ok(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields']);
    expect(yaml).toContain('fieldsType: FieldsV1');
    expect(yaml).toContain('k:{"name":"web"}:');
    expect(await ok(['get', 'deployment', 'web', '-o', 'yaml'])).not.toContain('managedFields');

    // Client-side apply of the same object with a new replica count: an Update by kubectl's manager.
    const csa = await kubectl(['apply', '-f', '-'], deployment(4));
    expect(csa.code, csa.stderr).toBe(0);
    expect(csa.stdout).toBe('deployment.apps/web configured\n');
    expect(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
    expect(await managers(['deployment', 'web'])).toEqual([
      'kubectl/Apply',
      'kubectl-client-side-apply/Update',
    ]);

    const clash = await kubectl(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      deployment(7),
    );
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect(clash.stderr).toContain('--force-conflicts');
    expect(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');

    expect(
      await ok(
        ['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'],
        deployment(7),
      ),
    ).toBe('deployment.apps/web serverside-applied\n');
    expect(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('7');
    expect(await managers(['deployment', 'web'])).toContain('other/Apply');
    // A dry run changes nothing.
    await ok(
      ['apply', '--server-side', '--dry-run=server', '--field-manager=other', '-f', '-'],
      deployment(9),
    );
    expect(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('7');
  });

  it('takes over a client-side applied object server-side (kubectl migrates its managedFields)', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: moved}\ndata: {a: "${v}"}\n`;
    expect(await ok(['apply', '-f', '-'], cm('1'))).toBe('configmap/moved created\n');
    expect(await managers(['configmap', 'moved'])).toEqual(['kubectl-client-side-apply/Update']);
    // The apply may override the client-side owner's fields (the live object still holds the
    // last-applied values); kubectl then moves that owner's fields into its own entry by JSON patch.
    expect(await ok(['apply', '--server-side', '-f', '-'], cm('2'))).toBe(
      'configmap/moved serverside-applied\n',
    );
    expect(await ok(['get', 'configmap', 'moved', '-o', 'jsonpath={.data.a}'])).toBe('2');
    const after = await managers(['configmap', 'moved']);
    expect(after).toContain('kubectl/Apply');
    expect(after).not.toContain('kubectl-client-side-apply/Update');
    // Changed since the client-side apply: a conflict again, unlike a fresh object.
    await ok(['patch', 'configmap', 'moved', '--type=merge', '-p', '{"data":{"a":"3"}}']);
    const clash = await kubectl(['apply', '--server-side', '-f', '-'], cm('4'));
    expect(clash.stderr).toContain('conflict with "kubectl-patch" using v1: .data.a');
  });

  it('checks RBAC create when an apply creates the object, patch when it changes one', async () => {
    const rbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ssa-patch-only, namespace: default}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, patch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ssa-patch-only, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ssa-patch-only}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ssa-patcher}]
`;
    await ok(['apply', '-f', '-'], rbac);
    const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {k: v}\n`;
    const denied = await kubectl(['apply', '--server-side', '--as', 'ssa-patcher', '-f', '-'], cm('ssa-new'));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('User "ssa-patcher" cannot create resource "configmaps"');
    await ok(['create', 'configmap', 'ssa-existing']);
    expect(await ok(['apply', '--server-side', '--as', 'ssa-patcher', '-f', '-'], cm('ssa-existing'))).toBe(
      'configmap/ssa-existing serverside-applied\n',
    );
  });

  it('merges a custom resource list-map by its keys across managers and removes what one stops applying', async () => {
    await ok(['apply', '--server-side', '-f', '-'], crd);
    await ok(['wait', '--for', 'condition=established', '--timeout=20s', 'crd/gadgets.ssa-test.example.com']);
    await ok(
      ['apply', '--server-side', '--field-manager=a', '-f', '-'],
      gadget('g1', [
        ['http', 80],
        ['https', 443],
      ]),
    );
    await ok(['apply', '--server-side', '--field-manager=b', '-f', '-'], gadget('g1', [['metrics', 9090]]));
    const ports = () => ok(['get', 'gadget', 'g1', '-o', 'jsonpath={.spec.ports[*].name}']);
    expect(await ports()).toBe('http https metrics');
    // a drops https: removed; b's metrics stays.
    await ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], gadget('g1', [['http', 80]]));
    expect(await ports()).toBe('http metrics');
    const clash = await kubectl(
      ['apply', '--server-side', '--field-manager=b', '-f', '-'],
      gadget('g1', [['http', 8080]]),
    );
    expect(clash.stderr).toContain('conflict with "a": .spec.ports[name="http"].port');
  });

  it('applies a CustomResourceDefinition over 256 KiB server-side, again unchanged, and serves it', async () => {
    // Generated operator schemas: many fields, each described at length.
    const fields = Array.from(
      { length: 400 },
      (_, i) =>
        `              f${i}: {type: string, description: "${`Field ${i} of a generated operator API, described at length. `.repeat(12)}"}`,
    ).join('\n');
    const big = crd
      .replaceAll('gadgets', 'hugers')
      .replace('singular: gadget, kind: Gadget', 'singular: huger, kind: Huger')
      .replace('              blob: {type: string}', `              blob: {type: string}\n${fields}`);
    expect(big.length).toBeGreaterThan(256 * 1024);
    expect(await ok(['apply', '--server-side', '-f', '-'], big)).toBe(
      'customresourcedefinition.apiextensions.k8s.io/hugers.ssa-test.example.com serverside-applied\n',
    );
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/hugers.ssa-test.example.com']);
    expect(await ok(['apply', '--server-side', '-f', '-'], big)).toBe(
      'customresourcedefinition.apiextensions.k8s.io/hugers.ssa-test.example.com serverside-applied\n',
    );
    expect(await managers(['crd', 'hugers.ssa-test.example.com'])).toContain('kubectl/Apply');
    await ok(['apply', '--server-side', '-f', '-'], gadget('h1', [['http', 80]]).replace('Gadget', 'Huger'));
    expect(await ok(['get', 'hugers', '-o', 'name'])).toBe('huger.ssa-test.example.com/h1\n');
  });

  it('applies a custom resource over 256 KiB server-side, where client-side apply cannot', async () => {
    const big = gadget('big', [['http', 80]], `\n  blob: "${'x'.repeat(300 * 1024)}"`);
    expect(await ok(['apply', '--server-side', '-f', '-'], big)).toBe(
      'gadget.ssa-test.example.com/big serverside-applied\n',
    );
    expect((await ok(['get', 'gadget', 'big', '-o', 'jsonpath={.spec.blob}'])).length).toBe(300 * 1024);
    expect(await managers(['gadget', 'big'])).toEqual(['kubectl/Apply']);
    // As on Kubernetes: the last-applied annotation would pass the 256 KiB annotation limit.
    const csa = await kubectl(['apply', '-f', '-'], big);
    expect(csa.code).not.toBe(0);
    expect(csa.stderr).toContain('metadata.annotations: Too long');
    // Server-side apply keeps working on the big object.
    expect(await ok(['apply', '--server-side', '-f', '-'], big.replace('port: 80', 'port: 81'))).toBe(
      'gadget.ssa-test.example.com/big serverside-applied\n',
    );
  });
});
