import { stringify } from 'yaml';

/**
 * The workloads the e2e applies with kubectl: a Deployment of 4 busybox pods and a DaemonSet, on
 * the `local/busybox` image every harness host has imported (no registry is reachable, hence
 * imagePullPolicy Never). The Deployment tolerates a lost node for only 5 s, so step 6 (an agent
 * stops) reschedules its pods within the test's patience instead of the default minute.
 */
export function renderWorkloads(): string {
  const container = (name: string, script: string) => ({
    name,
    image: 'local/busybox:latest',
    imagePullPolicy: 'Never',
    command: ['sh', '-c', script],
  });
  const quickEviction = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({
    key,
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds: 5,
  }));
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          tolerations: quickEviction,
          terminationGracePeriodSeconds: 2,
          containers: [container('web', 'echo "web up on $(hostname)"; while true; do sleep 5; done')],
        },
      },
    },
  };
  const daemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'node-probe', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'node-probe' } },
      template: {
        metadata: { labels: { app: 'node-probe' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [container('probe', 'echo "probe up"; while true; do sleep 5; done')],
        },
      },
    },
  };
  return [deployment, daemonSet].map((o) => stringify(o)).join('---\n');
}
