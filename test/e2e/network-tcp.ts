/**
 * A long-lived TCP connection through a ClusterIP for the network e2e (issue #12: established
 * Service traffic survives an agent's kill -9): an echo server on blue behind the Service `echo`,
 * and a client pod on green whose one busybox `nc` sends a numbered line every 0.2 s and writes
 * back what it receives, so the test can see the same connection carry data before and after.
 */
import { stringify } from 'yaml';
import { run } from '../harness/hosts/shell.js';
import { kubectlOk } from './kubectl.js';
import { greenShellPod, image } from './network-workloads.js';

/** Pins a pod to blue (the worker without a `tier` label). */
const onBlue = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }],
    },
  },
};

/** The echo server pod on blue (`nc -ll -e cat`: a `cat` per connection) and its Service `echo` (9000). */
export function renderEchoServer(): string {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'echo', namespace: 'default', labels: { app: 'echo' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      affinity: onBlue,
      containers: [
        {
          name: 'echo',
          ...image,
          command: ['nc', '-ll', '-p', '9000', '-e', 'cat'],
          ports: [{ name: 'echo', containerPort: 9000 }],
        },
      ],
    },
  };
  return [stringify(pod), renderEchoService('echo')].join('---\n');
}

/** A ClusterIP Service `name` (port `echo` 9000) over the echo pod. */
export function renderEchoService(name: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { selector: { app: 'echo' }, ports: [{ name: 'echo', port: 9000, targetPort: 9000 }] },
  });
}

/**
 * The client pod on green: one `nc` to `clusterIp:9000` fed `tick N` lines every 0.2 s; the
 * echoes go to /tmp/out. When that nc ends (the connection broke), /tmp/closed says so and the pod
 * does not reconnect: a later echo can only have come over the first connection.
 */
export function renderTcpClient(clusterIp: string): string {
  const script = [
    'i=0',
    `while [ $i -lt 1000000 ]; do i=$((i+1)); echo "tick $i"; sleep 0.2; done | nc ${clusterIp} 9000 > /tmp/out`,
    'echo "nc exited $?" > /tmp/closed',
    'exec sleep 1000000',
  ].join('; ');
  return stringify(greenShellPod('tcp-client', script));
}

/** What the client pod received so far over its one connection. */
export interface TcpEchoes {
  /** The highest tick echoed back. */
  last: number;
  /** Every tick from 1 to `last` came back once, in order (a reconnect would restart at a later tick). */
  inOrder: boolean;
  /** Set once the client's nc ended: the connection broke. */
  closed: string | undefined;
}

/** Reads the client pod's echoes (through `kubectl exec`, so through green's agent). */
export async function tcpEchoes(kubeconfig: string): Promise<TcpEchoes> {
  const out = await kubectlOk(kubeconfig, [
    'exec',
    'tcp-client',
    '--',
    'sh',
    '-c',
    'cat /tmp/out; echo ---; cat /tmp/closed 2>/dev/null; true',
  ]);
  const [echoed = '', closed = ''] = out.split('---\n');
  // A line still being written (no newline yet) is left for the next read.
  const ticks = echoed
    .slice(0, echoed.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Number(/^tick (\d+)$/.exec(l)?.[1] ?? Number.NaN));
  return {
    last: ticks.at(-1) ?? 0,
    inOrder: ticks.every((t, i) => t === i + 1),
    closed: closed.trim() || undefined,
  };
}

/**
 * The established TCP flows a host's kernel tracks to `clusterIp:port`, each as
 * `<client ip>:<client port> -> <endpoint ip>:<port> id=<entry id>` (the endpoint being where it
 * was DNATed; the id is the kernel's hash of the entry's address and tuples, so an entry deleted
 * and made again mostly shows another id): read from the runner in the host's namespace with
 * `conntrack -L -o id`.
 */
export function establishedFlows(netns: string, clusterIp: string, port: number): string[] {
  const out = run('ip', [
    'netns',
    'exec',
    netns,
    'conntrack',
    '-L',
    '-p',
    'tcp',
    '--orig-dst',
    clusterIp,
    '--orig-port-dst',
    String(port),
    '-o',
    'id',
  ]);
  const flows: string[] = [];
  for (const line of out.split('\n')) {
    if (!/ ESTABLISHED /.test(line)) continue;
    const src = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]);
    const sport = [...line.matchAll(/sport=(\d+)/g)].map((m) => m[1]);
    // The original direction's source, then the reply direction's source (the DNAT target).
    flows.push(`${src[0]}:${sport[0]} -> ${src[1]}:${sport[1]} ${/ (id=\d+)/.exec(line)?.[1] ?? 'no id'}`);
  }
  return flows.sort();
}
