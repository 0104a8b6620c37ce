import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

const deployment = (name: string, extra: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  selector: {matchLabels: {app: strict}}
${extra}  template:
    metadata: {labels: {app: strict}}
    spec: {containers: [{name: main, image: busybox}]}
`;

// kubectl's default --validate=strict leaves validation to the server (fieldValidation=Strict).
describe.each(['33', '30'])('kubectl %s apply --validate=strict', (minor) => {
  const { ok, kubectl } = useKubectlServer(minor);

  it('rejects an unknown field with upstream message, and nothing is stored', async () => {
    const bad = await kubectl(
      ['apply', '--validate=strict', '-f', '-'],
      deployment('strict-a', '  foo: 1\n'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"\n',
    );
    const got = await kubectl(['get', 'deployment', 'strict-a']);
    expect(got.stderr).toContain('"strict-a" not found');

    // Deep in the pod template, every unknown field named with its list index, upstream's schema decides.
    const deep = await kubectl(
      ['create', '-f', '-'],
      deployment('strict-c', '').replace(
        '{name: main, image: busybox}',
        '{name: main, image: busybox, imagePullPolicyy: Always, ports: [{containerPort: 80, hostPortt: 1}]}',
      ),
    );
    expect(deep.stderr).toBe(
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy", unknown field "spec.template.spec.containers[0].ports[0].hostPortt"\n',
    );
  });

  it('accepts every field upstream declares, maps and free-form parts included', async () => {
    await ok(
      ['apply', '--validate=strict', '-f', '-'],
      deployment(
        'strict-d',
        '  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}\n',
      ).replace(
        '{name: main, image: busybox}',
        '{name: main, image: busybox, resources: {limits: {cpu: 100m}}, env: [{name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}',
      ),
    );
    expect(
      await ok(['get', 'deployment', 'strict-d', '-o', 'jsonpath={.spec.strategy.rollingUpdate.maxSurge}']),
    ).toBe('25%');
  });

  it('warns instead with --validate=warn and stores the object without the field', async () => {
    const r = await kubectl(['apply', '--validate=warn', '-f', '-'], deployment('strict-b', '  foo: 1\n'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: unknown field "spec.foo"');
    expect(await ok(['get', 'deployment', 'strict-b', '-o', 'jsonpath={.spec.foo}'])).toBe('');
  });
});
