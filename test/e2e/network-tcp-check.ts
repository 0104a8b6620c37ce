/**
 * Issue #12: a long-lived TCP connection through a ClusterIP survives `kill -9` of the agents on
 * both of its ends. The echo server (blue) and the client (green) of network-tcp.ts; green's agent
 * is killed first (the client's node, where the DNAT happens), then blue's. After each restart and
 * rule resync the same connection carries more echoes, in order, conntrack shows the same entry
 * (entry id, client port and endpoint), and no rule of ours is there twice.
 */
import { expect } from 'vitest';
import { waitFor } from '../support/wait.js';
import { kubectlOk, nodeReadiness } from './kubectl.js';
import { agentPid, duplicatedRules, ruleEndpoints, withHostShell } from './network-checks.js';
import {
  establishedFlows,
  renderEchoServer,
  renderEchoService,
  renderTcpClient,
  tcpEchoes,
} from './network-tcp.js';

/** What the check needs of the running e2e cluster. */
export interface TcpCheckOptions {
  readonly kubeconfig: string;
  /** The cluster's state directory (SSH key and known_hosts for the workers). */
  readonly stateDir: string;
  readonly workers: readonly { id: string; group: string; privateIp: string }[];
  /** The network namespace of a worker's simulated host. */
  readonly netnsOf: (id: string) => string;
  readonly clusterIpOf: (service: string) => Promise<string>;
}

/** Runs the check; leaves the echo and client pods being deleted. */
export async function checkTcpAcrossAgentKills(options: TcpCheckOptions): Promise<void> {
  const { kubeconfig, workers, netnsOf, clusterIpOf } = options;
  const state = options.stateDir;
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderEchoServer());
  const echoIp = await clusterIpOf('echo');
  const echoPod = await waitFor(
    async () => {
      const pod = JSON.parse(await kubectlOk(kubeconfig, ['get', 'pod', 'echo', '-o', 'json'])) as {
        status?: { podIP?: string; conditions?: { type: string; status: string }[] };
      };
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return ready && pod.status?.podIP ? pod.status.podIP : undefined;
    },
    'the echo pod Ready',
    120_000,
    1_000,
  );
  for (const w of workers) {
    const netns = netnsOf(w.id);
    await waitFor(
      async () =>
        JSON.stringify(ruleEndpoints(netns, 'default/echo:echo')) === JSON.stringify([`${echoPod}:9000`]),
      `${w.id} balancing echo`,
      30_000,
      200,
    );
  }
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderTcpClient(echoIp));
  /** Waits until the client saw `ticks` more echoes than `after` on its first connection. */
  const echoesPast = (after: number, ticks: number, what: string) =>
    waitFor(
      async () => {
        const e = await tcpEchoes(kubeconfig);
        if (e.closed || !e.inOrder) throw new Error(`the connection broke: ${JSON.stringify(e)}`);
        return e.last >= after + ticks ? e : undefined;
      },
      what,
      120_000,
      500,
    );
  let seen = (await echoesPast(0, 5, 'echoes over the connection')).last;
  // Green's kernel tracks the one connection, DNATed from the cluster IP to the echo pod.
  const green = netnsOf(workers.find((x) => x.group === 'green')!.id);
  const flows = establishedFlows(green, echoIp, 9000);
  expect(flows).toHaveLength(1);
  expect(flows[0]).toMatch(new RegExp(` -> ${echoPod.replaceAll('.', '\\.')}:9000 id=\\d+$`));
  // The client's node (green: where the DNAT to the echo pod happens), then the server's (blue).
  for (const group of ['green', 'blue']) {
    const w = workers.find((x) => x.group === group)!;
    const netns = netnsOf(w.id);
    const before = await withHostShell(state, w.privateIp, agentPid);
    expect(before, group).toBeGreaterThan(0);
    await withHostShell(state, w.privateIp, (shell) => shell.exec(`kill -KILL ${before}`));
    await waitFor(
      async () => {
        const pid = await withHostShell(state, w.privateIp, agentPid);
        return pid && pid !== before ? pid : undefined;
      },
      `the supervisor restarting ${group}'s agent`,
      60_000,
      500,
    );
    await waitFor(
      async () => (await nodeReadiness(kubeconfig)).get(w.id) === 'True',
      `${group} Ready`,
      60_000,
    );
    // The rules of before stay in the kernel through the restart, so they prove nothing about
    // the new agent: a Service made now shows in this node's rules only once the restarted
    // proxy has listed and synced (after anything its start does to the kernel).
    const marker = `echo-${group}`;
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderEchoService(marker));
    for (const svc of ['echo', marker])
      await waitFor(
        async () =>
          JSON.stringify(ruleEndpoints(netns, `default/${svc}:echo`)) === JSON.stringify([`${echoPod}:9000`]),
        `${group}'s restarted agent balancing ${svc}`,
        60_000,
        200,
      );
    // Sent and echoed after the restarted agent resynced its rules, on the same connection.
    seen = (await echoesPast(seen, 10, `echoes after ${group}'s agent restarted`)).last;
    // The same conntrack entry (id, client port and endpoint): kept with its DNAT. With one
    // endpoint, an entry deleted and re-made by the rules would not show in the echoes alone.
    expect(establishedFlows(green, echoIp, 9000), group).toEqual(flows);
    expect(duplicatedRules(netns), group).toEqual([]);
  }
  await kubectlOk(kubeconfig, ['delete', 'pod', 'tcp-client', 'echo', '--wait=false']);
  await kubectlOk(kubeconfig, ['delete', 'service', 'echo', 'echo-green', 'echo-blue', '--wait=false']);
}
