/**
 * What the local-docker e2e needs around `tugboat local up --runtime docker`: a dockerd of its own
 * in the confined namespace the suite runs in (with Docker's own iptables rules, so the test can
 * prove they stay as they were), a snapshot of that namespace's network, and the workloads.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { DockerApi } from '../../src/agent/runtime/docker-api.js';
import { dockerdDirArgs, importBusybox, ping } from '../harness/dockerd.js';
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
  // The suite's other files share this namespace: what dockerd adds to it (docker0, its iptables
  // chains) goes when it stops, so the namespace is as this function found it.
  const linksBefore = new Set(networkSnapshot().links);
  const tablesBefore = saveTables();
  const stop = async () => {
    const left = await api
      .json<{ Id: string }[]>('GET', '/containers/json', { query: { all: true } })
      .catch(() => []);
    for (const c of left)
      await api.json('DELETE', `/containers/${c.Id}`, { query: { force: true } }).catch(() => {});
    api.close();
    await proc?.stop(20_000);
    for (const d of cgroupDirs(cgroupParent)) removeCgroup(d);
    for (const link of networkSnapshot().links) if (!linksBefore.has(link)) run('ip', ['link', 'del', link]);
    restoreTables(tablesBefore);
  };
  try {
    proc = await startProcess(
      'dockerd',
      [...dockerdDirArgs(dir, socketPath), '--cgroup-parent', `/${cgroupParent}`],
      {
        ready: () => ping(api),
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

/** `iptables-save` and `ip6tables-save` output, to put back with restoreTables. */
function saveTables(): { v4: string; v6: string } {
  return { v4: run('iptables-save', []), v6: run('ip6tables-save', []) };
}

/** Built-in chains per table: a table that was not loaded before comes back as these, empty. */
const builtinChains: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Each table (`*name` … `COMMIT`) of a save, by name. */
function tables(save: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of save.matchAll(/^\*(\S+)\n[\s\S]*?^COMMIT$/gm)) out.set(m[1]!, `${m[0]}\n`);
  return out;
}

/**
 * Puts every table back as it was saved; one loaded since (Docker loads filter and nat) is emptied,
 * its built-in chains back to ACCEPT (iptables-restore flushes each table it is given).
 */
function restoreTables(saved: { v4: string; v6: string }): void {
  for (const [tool, before] of [
    ['iptables', saved.v4],
    ['ip6tables', saved.v6],
  ] as const) {
    const was = tables(before);
    const input = [...tables(run(`${tool}-save`, [])).keys()]
      .map(
        (t) =>
          was.get(t) ??
          `*${t}\n${(builtinChains[t] ?? []).map((c) => `:${c} ACCEPT [0:0]`).join('\n')}\nCOMMIT\n`,
      )
      .join('');
    if (input) run(`${tool}-restore`, [], input);
  }
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
