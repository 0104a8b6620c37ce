import { stringify } from 'yaml';

/** The image every harness host has imported (no registry is reachable, hence imagePullPolicy Never). */
export const image = { image: 'local/busybox:latest', imagePullPolicy: 'Never' };

/** A busybox container `web` running the shell line `script` with `$POD_NAME` set, port `http` 8080. */
export function webContainer(script: string) {
  return {
    name: 'web',
    ...image,
    env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    command: ['sh', '-c', script],
    ports: [{ name: 'http', containerPort: 8080 }],
  };
}

/** A busybox pod `name` on the green worker running the shell line `script`. */
export function greenShellPod(name: string, script: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeSelector: { tier: 'green' },
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'client', ...image, command: ['sh', '-c', script] }],
    },
  };
}

/**
 * What the network e2e applies: `web`, 4 busybox HTTP servers on 8080 answering with their pod name
 * (ready while GET /ready answers, i.e. while /www/ready exists, so a test can take one out of
 * rotation), a ClusterIP Service
 * `web` (80 → 8080), a NodePort Service `web-np`, a headless Service `web-headless` and a
 * LoadBalancer Service `web-lb` (served on the nodes' addresses, as k3s's ServiceLB does); and a
 * `client` pod on the green worker to run requests from.
 */
export function renderNetworkWorkloads(): string {
  const web = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              ...webContainer(
                'mkdir -p /www && echo "$POD_NAME" > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www',
              ),
              readinessProbe: {
                httpGet: { path: '/ready', port: 'http' },
                periodSeconds: 1,
                timeoutSeconds: 2,
                failureThreshold: 1,
              },
            },
          ],
        },
      },
    },
  };
  const service = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec },
  });
  const client = greenShellPod('client', 'while true; do sleep 5; done');
  return [
    web,
    service('web', {}),
    service('web-np', { type: 'NodePort' }),
    service('web-headless', { clusterIP: 'None' }),
    service('web-lb', { type: 'LoadBalancer' }),
    client,
  ]
    .map((o) => stringify(o))
    .join('---\n');
}

/**
 * A pod on blue (the worker without the `tier` label) serving its name on 8080, published as the
 * node's port 18080 (`hostPort`).
 */
export function renderHostPortPod(name: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      terminationGracePeriodSeconds: 1,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }],
          },
        },
      },
      containers: [
        {
          name: 'web',
          ...image,
          command: [
            'sh',
            '-c',
            `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p 8080 -h /www`,
          ],
          ports: [{ containerPort: 8080, hostPort: 18080 }],
        },
      ],
    },
  });
}
