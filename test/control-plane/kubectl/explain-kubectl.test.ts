import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

// kubectl explain on built-in kinds walks upstream's schemas through /openapi/v3.
describe.each(['33', '30'])('kubectl %s explain on built-in kinds', (minor) => {
  const { ok, kubectl } = useKubectlServer(minor);

  it('explains pods, their spec and containers with upstream descriptions', async () => {
    const pods = await ok(['explain', 'pods']);
    expect(pods).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
    expect(pods).toContain('Pod is a collection of containers that can run on a host.');
    expect(pods).toMatch(/^ {2}spec\t<PodSpec>$/m);

    const spec = await ok(['explain', 'pods.spec']);
    expect(spec).toContain('FIELD: spec <PodSpec>');
    expect(spec).toMatch(/^ {2}containers\t<\[\]Container> -required-$/m);
    expect(spec).toMatch(/^ {2}restartPolicy\t<string>$/m);

    const containers = await ok(['explain', 'pods.spec.containers']);
    expect(containers).toContain('FIELD: containers <[]Container>');
    expect(containers).toContain('A single application container that you want to run within a pod.');
    expect(containers).toMatch(/^ {2}name\t<string> -required-$/m);
    expect(containers).toMatch(/^ {2}image\t<string>$/m);

    const port = await ok(['explain', 'pod.spec.containers.ports.containerPort']);
    expect(port).toMatch(/FIELD: containerPort <integer>/);

    const missing = await kubectl(['explain', 'pods.spec.nope']);
    expect([missing.code, missing.stderr]).toEqual([1, 'error: field "nope" does not exist\n']);
  });

  it('explains deployments.spec.strategy and walks it with --recursive', async () => {
    const strategy = await ok(['explain', 'deployments.spec.strategy']);
    expect(strategy).toMatch(/^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
    expect(strategy).toContain('FIELD: strategy <DeploymentStrategy>');
    expect(strategy).toMatch(/^ {2}rollingUpdate\t<RollingUpdateDeployment>$/m);
    expect(strategy).toMatch(/^ {2}type\t<string>$/m);

    const recursive = await ok(['explain', 'deployments.spec.strategy', '--recursive']);
    expect(recursive).toMatch(
      /^ {2}rollingUpdate\t<RollingUpdateDeployment>\n {4}maxSurge\t<IntOrString>\n {4}maxUnavailable\t<IntOrString>\n {2}type\t<string>$/m,
    );

    const cronjob = await ok(['explain', 'cronjobs.spec.jobTemplate.spec.template.spec.containers.name']);
    expect(cronjob).toMatch(/^GROUP:\s+batch\nKIND:\s+CronJob\nVERSION:\s+v1\n/);
    expect(cronjob).toContain('FIELD: name <string>');

    const roles = await ok(['explain', 'clusterroles.rules']);
    expect(roles).toMatch(/^GROUP:\s+rbac\.authorization\.k8s\.io\n/);
    expect(roles).toMatch(/^ {2}verbs\t<\[\]string> -required-$/m);
  });

  it('explains from /openapi/v2 (protobuf) and applies twice with its patch metadata', async () => {
    const v2 = await ok([
      'explain',
      'deployments.spec.template.spec.containers',
      '--output=plaintext-openapiv2',
    ]);
    expect(v2).toMatch(/^KIND:\s+Deployment\nVERSION:\s+apps\/v1\n/);
    expect(v2).toMatch(/RESOURCE: containers <\[\]Object>/);
    expect(v2).toContain('A single application container that you want to run within a pod.');
    expect(v2).toMatch(/^ {3}name\t<string> -required-$/m);

    // The second apply computes its patch with the schema's merge keys (containers by name).
    const manifest = (image: string, extra: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: explain-${minor}, namespace: default}
spec:
  selector: {matchLabels: {app: explain}}
  template:
    metadata: {labels: {app: explain}}
    spec:
      containers:
      - {name: main, image: ${image}, env: [{name: A, value: "1"}]}${extra}
`;
    await ok(['apply', '-f', '-'], manifest('busybox:1', ''));
    await ok(['apply', '-f', '-'], manifest('busybox:2', '\n      - {name: side, image: busybox:3}'));
    const containers = JSON.parse(
      await ok(['get', 'deployment', `explain-${minor}`, '-o', 'jsonpath={.spec.template.spec.containers}']),
    ) as Array<{ name: string; image: string; env?: unknown[] }>;
    expect(containers.map((c) => [c.name, c.image, c.env?.length ?? 0])).toEqual([
      ['main', 'busybox:2', 1],
      ['side', 'busybox:3', 0],
    ]);
  });
});
