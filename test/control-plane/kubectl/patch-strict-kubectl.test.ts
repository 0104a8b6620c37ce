import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

const deployment = (extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: strict-patch}
spec:
  replicas: 1
  selector: {matchLabels: {app: strict-patch}}
  template:
    metadata: {labels: {app: strict-patch}}
    spec:
      containers:
      - {name: c, image: "busybox:1"${extra}}
`;

describe.each(['33', '30'])('kubectl %s: repeated and unknown fields in patches', (minor) => {
  const { kubectl, ok } = useKubectlServer(minor);

  it('warns about repeated keys in a patch, and client-side apply (Strict) refuses unknown fields on update', async () => {
    await ok(['apply', '-f', '-'], deployment());
    const patched = await kubectl([
      'patch',
      'deployment',
      'strict-patch',
      '--type=merge',
      '-p',
      '{"spec":{"paused":true,"paused":false}}',
    ]);
    expect(patched.code, patched.stderr).toBe(0);
    expect(patched.stderr).toContain('Warning: duplicate field "spec.paused"');
    expect(await ok(['get', 'deployment', 'strict-patch', '-o', 'jsonpath={.spec.paused}'])).toBe('false');

    // kubectl apply of an existing object sends a strategic merge patch with fieldValidation=Strict.
    const bad = await kubectl(['apply', '-f', '-'], deployment(', imagePullPolicyy: Never'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
    );
    // Upstream's shape: the strategic patch kubectl sent, as Go prints the map, then the error.
    expect(bad.stderr).toMatch(
      /^The request is invalid: patch: Invalid value: "map\[metadata:map\[annotations:map\[/,
    );
    expect(bad.stderr).toContain('containers:[map[imagePullPolicyy:Never name:c]]');
    expect(
      await ok([
        'get',
        'deployment',
        'strict-patch',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].imagePullPolicy}',
      ]),
    ).toBe('IfNotPresent');
  });
});
