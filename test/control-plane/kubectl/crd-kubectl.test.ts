import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

/**
 * A multi-version CRD: status + scale subresources, printer columns, shortName, a category and CEL
 * validation rules (one a transition rule with a messageExpression).
 */
const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.crd-test.example.com
spec:
  group: crd-test.example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wdg]
    categories: [crdtest]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: ".spec.colors[0]"}
    - {name: Phase, type: string, jsonPath: .status.phase}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            x-kubernetes-validations:
            - rule: self.replicas <= self.size * 2
              message: replicas must be at most twice the size
            - rule: self.mode == oldSelf.mode
              messageExpression: "'mode is immutable (was ' + oldSelf.mode + ')'"
            properties:
              size: {type: integer, minimum: 1, maximum: 10}
              replicas: {type: integer, default: 1}
              mode: {type: string, enum: [fast, slow], default: slow}
              colors: {type: array, items: {type: string}, x-kubernetes-list-type: set}
          status:
            type: object
            properties:
              phase: {type: string}
              replicas: {type: integer}
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

const widget = (name: string, size: unknown, extra = '') => `apiVersion: crd-test.example.com/v1
kind: Widget
metadata: {name: ${name}}
spec:
  size: ${JSON.stringify(size)}
  colors: [red, blue]${extra}
`;

// The kubectl minors issue #13's acceptance names (the dispatcher picks the binary by /version).
describe.each(['33', '30'])('kubectl %s and CustomResourceDefinitions', (minor) => {
  const { srv, kubectl, ok } = useKubectlServer(minor);

  it('applies a CRD, waits for Established and serves its resource in discovery', async () => {
    expect(await ok(['version'])).toContain(`Client Version: v1.${minor}.`);
    expect(await ok(['apply', '-f', '-'], crd)).toContain(
      'customresourcedefinition.apiextensions.k8s.io/widgets.crd-test.example.com created',
    );
    await ok(['wait', '--for', 'condition=established', '--timeout=20s', 'crd/widgets.crd-test.example.com']);
    const got = JSON.parse(await ok(['get', 'crd', 'widgets.crd-test.example.com', '-o', 'json']));
    expect(got.status.acceptedNames).toMatchObject({
      plural: 'widgets',
      kind: 'Widget',
      shortNames: ['wdg'],
    });
    expect(got.status.storedVersions).toEqual(['v1']);
    expect(got.metadata.finalizers).toContain('customresourcecleanup.apiextensions.k8s.io');
    expect(await ok(['get', 'crd'])).toMatch(
      /^NAME\s+CREATED AT\nwidgets\.crd-test\.example\.com\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\n$/,
    );
    const resources = await ok(['api-resources', '--api-group=crd-test.example.com']);
    expect(resources).toMatch(/widgets\s+wdg\s+crd-test\.example\.com\/v1\s+true\s+Widget/);
  });

  it('creates, lists with printer columns, patches, scales and rejects invalid custom resources (schema and CEL rules)', async () => {
    expect(await ok(['apply', '-f', '-'], widget('w1', 3))).toContain(
      'widget.crd-test.example.com/w1 created',
    );
    const table = await ok(['get', 'widgets']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+COLOR\s+PHASE\s+AGE$/);
    expect(table).toMatch(/w1\s+3\s+red\s+\S+/);
    expect(await ok(['get', 'wdg', '-o', 'name'])).toBe('widget.crd-test.example.com/w1\n');
    expect(await ok(['get', 'crdtest', '-o', 'name'])).toBe('widget.crd-test.example.com/w1\n');
    const obj = JSON.parse(await ok(['get', 'widget', 'w1', '-o', 'json']));
    expect(obj.spec).toMatchObject({ size: 3, replicas: 1, mode: 'slow' });
    await ok(['patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"size":5}}']);
    await ok([
      'patch',
      'widget',
      'w1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Ready"}}',
    ]);
    expect(await ok(['get', 'widgets', '--no-headers'])).toMatch(/^w1\s+5\s+red\s+Ready\s+\S+\n$/);
    await ok(['scale', 'widget', 'w1', '--replicas=4']);
    expect(await ok(['get', 'widget', 'w1', '-o', 'jsonpath={.spec.replicas}'])).toBe('4');
    // Conversion None: the same object through the other served version, with its apiVersion.
    expect(
      await ok([
        'get',
        'widgets.v1beta1.crd-test.example.com',
        'w1',
        '-o',
        'jsonpath={.apiVersion} {.spec.size}',
      ]),
    ).toBe('crd-test.example.com/v1beta1 5');
    expect(
      await ok(['get', 'widgets.v1beta1.crd-test.example.com', '-o', 'jsonpath={.items[0].apiVersion}']),
    ).toBe('crd-test.example.com/v1beta1');

    const bad = await kubectl(['apply', '-f', '-'], widget('w2', 'big'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'The Widget "w2" is invalid: spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
    );
    const tooBig = await kubectl(['create', '-f', '-'], widget('w3', 11));
    expect(tooBig.stderr).toContain(
      'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10',
    );
    const dup = await kubectl(['create', '-f', '-'], widget('w4', 2).replace('[red, blue]', '[red, red]'));
    expect(dup.stderr).toContain('spec.colors[1]: Duplicate value: "red"');
    const unknown = await kubectl(
      ['create', '--validate=strict', '-f', '-'],
      widget('w5', 2, '\n  shape: round'),
    );
    expect(unknown.stderr).toContain('unknown field "spec.shape"');
    const rule = await kubectl(['apply', '-f', '-'], widget('w7', 1, '\n  replicas: 5'));
    expect(rule.code).not.toBe(0);
    expect(rule.stderr).toContain(
      'The Widget "w7" is invalid: spec: Invalid value: "object": replicas must be at most twice the size',
    );
    const mode = await kubectl(['patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"mode":"fast"}}']);
    expect(mode.code).not.toBe(0);
    expect(mode.stderr).toContain('spec: Invalid value: "object": mode is immutable (was slow)');
    expect(await ok(['get', 'widgets', '-o', 'name'])).toBe('widget.crd-test.example.com/w1\n');
  });

  it('watches custom resources and deletes them', async () => {
    await ok(['apply', '-f', '-'], widget('w6', 2));
    expect(await ok(['get', 'widgets', '--field-selector', 'metadata.name=w6', '-o', 'name'])).toBe(
      'widget.crd-test.example.com/w6\n',
    );
    expect(await ok(['delete', 'widget', 'w6'])).toContain('widget.crd-test.example.com "w6" deleted');
  });

  it('deleting the CRD deletes its objects and stops serving the resource', async () => {
    await ok(['delete', 'crd', 'widgets.crd-test.example.com', '--timeout=30s']);
    const gone = await kubectl(['get', 'widgets']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('the server could not find the requested resource');
    expect(await ok(['api-resources', '--api-group=crd-test.example.com'])).not.toContain('widgets');
    const left = await srv().store.range('/registry/crd-test.example.com/', { prefix: true });
    expect(left.kvs).toEqual([]);
    // Applied again, it starts empty.
    await ok(['apply', '-f', '-'], crd);
    await ok(['wait', '--for', 'condition=established', '--timeout=20s', 'crd/widgets.crd-test.example.com']);
    expect(await ok(['get', 'widgets', '-o', 'name'])).toBe('');
  });
});
