import { request } from 'node:http';
import type { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import type { Pod, Service } from '../../src/kube/index.js';
import { isReadyPod } from '../support/control-cluster.js';

/** One failed poll: when, where, and what came back instead of a pod name. */
export interface FailedPoll {
  readonly at: string;
  readonly target: string;
  readonly error: string;
}

/** What {@link watchTraffic} saw, so far. */
export interface TrafficReport {
  readonly polls: number;
  readonly failed: readonly FailedPoll[];
  /** Pod names that answered. */
  readonly answeredBy: ReadonlySet<string>;
  /** Addresses polled (the load balancer's targets over time). */
  readonly targets: ReadonlySet<string>;
  /** Health checks of newly listed addresses that failed (those stayed out of the rotation). */
  readonly healthChecksFailed: number;
  /** Ready-pod samples taken, and the fewest Ready pods any of them saw. */
  readonly samples: number;
  readonly minReady: number;
  /** A sample at the minimum: when, and the Ready pods then. */
  readonly minReadyAt: string;
}

/** A running traffic watch: {@link TrafficWatch.report} at any time, {@link TrafficWatch.stop} once. */
export interface TrafficWatch {
  report(): TrafficReport;
  stop(): Promise<TrafficReport>;
}

/** GET http://ip:port/ on a fresh connection; the body's first line, or throws. */
function get(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path: '/', agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts a client of the LoadBalancer Service `service` from the runner's network namespace, as
 * an external load balancer in front of the nodes would be: its targets are the addresses in the
 * Service's `status.loadBalancer.ingress` (tugboat's ServiceLB: every Ready node not excluded from
 * load balancers), re-read every 500 ms (the last list is kept while the API does not answer),
 * a new one admitted once a health check GET answers; every 100 ms one GET goes to the Service's
 * NodePort on the next target, round robin, on a new connection. Meanwhile the Ready pods matching `selector` are counted every 200 ms through the
 * API (a sample the API does not answer is not taken: a master's restart does not touch pods).
 */
export function watchTraffic(
  client: KubeClient,
  service: string,
  selector: Record<string, string>,
): TrafficWatch {
  let running = true;
  let targets: string[] = [];
  let nodePort = 0;
  let polls = 0;
  const failed: FailedPoll[] = [];
  const answeredBy = new Set<string>();
  const seenTargets = new Set<string>();
  let samples = 0;
  let minReady = Number.POSITIVE_INFINITY;
  let minReadyAt = '';
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  // A target enters the rotation after one health check answers, as an ELB target does (AWS asks
  // 2-10 in a row): a node is listed as soon as it is Ready, possibly before its pod-network
  // routes to the other workers exist (a GET then fails with ENETUNREACH for a moment).
  const admitted = new Set<string>();
  let healthChecksFailed = 0;
  const admit = async (candidates: readonly string[]) => {
    for (const ip of candidates.filter((t) => !admitted.has(t))) {
      const ok = await get(ip, nodePort).then(
        () => true,
        () => false,
      );
      if (ok) admitted.add(ip);
      else healthChecksFailed++;
    }
    for (const ip of [...admitted]) if (!candidates.includes(ip)) admitted.delete(ip);
  };
  const refresh = async () => {
    const svc = (await client.get<Service>(resources.services, service, 'default')) as Service & {
      spec?: { ports?: { nodePort?: number }[] };
      status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
    };
    const ingress = svc.status?.loadBalancer?.ingress ?? [];
    nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    const listed = ingress.map((i) => i.ip ?? '').filter((ip) => ip.length > 0);
    await admit(listed);
    targets = listed.filter((ip) => admitted.has(ip));
  };
  const loops = [
    (async () => {
      while (running) {
        await refresh().catch(() => undefined);
        await sleep(500);
      }
    })(),
    (async () => {
      for (let i = 0; running; i++) {
        const target = targets[i % Math.max(1, targets.length)];
        if (target && nodePort) {
          seenTargets.add(target);
          polls++;
          const at = new Date().toISOString();
          try {
            answeredBy.add(await get(target, nodePort));
          } catch (err) {
            failed.push({ at, target, error: (err as Error).message });
          }
        }
        await sleep(100);
      }
    })(),
    (async () => {
      while (running) {
        const pods = await client
          .list<Pod>(resources.pods, { namespace: 'default', labelSelector: selector })
          .catch(() => undefined);
        if (pods) {
          samples++;
          const ready = pods.items.filter(isReadyPod);
          if (ready.length < minReady) {
            minReady = ready.length;
            minReadyAt = `${new Date().toISOString()}: ${ready.map((p) => `${p.metadata.name}@${p.spec.nodeName}`).join(', ')}`;
          }
        }
        await sleep(200);
      }
    })(),
  ];
  const report = (): TrafficReport => ({
    polls,
    failed: [...failed],
    answeredBy: new Set(answeredBy),
    targets: new Set(seenTargets),
    healthChecksFailed,
    samples,
    minReady,
    minReadyAt,
  });
  return {
    report,
    async stop() {
      running = false;
      await Promise.all(loops);
      return report();
    },
  };
}
