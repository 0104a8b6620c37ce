/**
 * What the local-docker e2e needs around `tugboat local up --runtime docker`: a dockerd of its own
 * in the confined namespace the suite runs in (with Docker's own iptables rules, so the test can
 * prove they stay as they were), a snapshot of that namespace's network, and the workloads.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { DockerApi } from '../../src/agent/runtime/docker-api.js';
import { importBusybox } from '../harness/dockerd.js';
import { cgroupDirs, removeCgroup } from '../harness/hosts/host-processes.js';
import { run } from '../harness/hosts/shell.js';
import { type StartedProcess, startProcess } from '../harness/process.js';
import { renderNetworkWorkloads } from './network-workloads.js';

/** A dockerd started by the test in the runner's (confined) network namespace. */
export interface LocalDockerd {
  readonly socketPath: string;
  /** Names of every container the daemon has, running or not. */
  containers(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts dockerd with Docker's defaults for networking (docker0, its iptables chains, FORWARD
 * DROP), its directories under `dir` and containers under the cgroup `cgroupParent` (both named
 * after the e2e run, which scripts/e2e-confine.sh sweeps if a run dies); imports local/busybox.
 */
export async function startLocalDockerd(dir: string, cgroupParent: string): Promise<LocalDockerd> {
  mkdirSync(dir, { recursive: true });
  const socketPath = join(dir, 'docker.sock');
  const api = new DockerApi(socketPath);
  let proc: StartedProcess | undefined;
  const stop = async () => {
    const left = await api
      .json<{ Id: string }[]>('GET', '/containers/json', { query: { all: true } })
      .catch(() => []);
    for (const c of left)
      await api.json('DELETE', `/containers/${c.Id}`, { query: { force: true } }).catch(() => {});
    api.close();
    await proc?.stop(20_000);
    for (const d of cgroupDirs(cgroupParent)) removeCgroup(d);
  };
  try {
    proc = await startProcess(
      'dockerd',
      [
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        join(dir, 'docker.pid'),
        '-H',
        `unix://${socketPath}`,
        '--cgroup-parent',
        `/${cgroupParent}`,
      ],
      {
        ready: async () => {
          const res = await api.stream('GET', '/_ping');
          res.resume();
          return res.statusCode === 200;
        },
        timeoutMs: 90_000,
      },
    );
    await importBusybox(api, join(dir, 'busybox'));
  } catch (err) {
    await stop();
    throw err;
  }
  const containers = async () =>
    (await api.json<{ Names: string[] }[]>('GET', '/containers/json', { query: { all: true } })).flatMap(
      (c) => c.Names,
    );
  return { socketPath, containers, stop };
}

/** The namespace's links (names), routes and iptables rules (no counters, no comments). */
export interface NetworkSnapshot {
  readonly links: string[];
  readonly routes: string[];
  readonly rules: string[];
}

export function networkSnapshot(): NetworkSnapshot {
  const links = run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n)
    .sort();
  const routes = run('ip', ['route', 'show', 'table', 'all'])
    .split('\n')
    .filter((l) => l.length > 0)
    .sort();
  const rules = run('iptables-save', [])
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
  return { links, routes, rules };
}

/** Anything of tugboat's in a snapshot: links, routes over them or to the pod range, rules. */
export function tugboatLeftovers(s: NetworkSnapshot): string[] {
  return [
    ...s.links.filter((l) => /^(tugboat|tbv)/.test(l)).map((l) => `link ${l}`),
    ...s.routes.filter((r) => /tugboat|tbv|10\.244\./.test(r)).map((r) => `route ${r}`),
    ...s.rules.filter((r) => /tugboat/i.test(r)).map((r) => `rule ${r}`),
  ];
}

/**
 * The network e2e's workloads (network-workloads.ts) cut down to one machine: `web` with 2 pods,
 * the ClusterIP Service `web` (80 → 8080) and the NodePort Service `web-np`, and the `client` pod
 * placed on `clientNode`.
 */
export function renderLocalWorkloads(clientNode: string): string {
  type Doc = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
  const docs = parseAllDocuments(renderNetworkWorkloads()).map((d) => d.toJS() as Doc);
  return docs
    .filter((d) => d.kind !== 'Service' || ['web', 'web-np'].includes(d.metadata.name))
    .map((d) => {
      if (d.kind === 'Deployment') d.spec.replicas = 2;
      if (d.kind === 'Pod') {
        delete d.spec.nodeSelector;
        d.spec.nodeName = clientNode;
      }
      return stringify(d);
    })
    .join('---\n');
}
