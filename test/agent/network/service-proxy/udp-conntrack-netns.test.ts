/**
 * Stale UDP flows in a real kernel: a client that keeps its source port is stuck on a replaced
 * endpoint by its conntrack entry unless the proxy deletes it (kube-proxy's cleanup). The proxy
 * runs against a real API server, its rules and `conntrack` inside a node namespace (netns-lab.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandConntrack, staleUdpFlows } from '../../../../src/agent/network/service-proxy/conntrack.js';
import { commandIptables } from '../../../../src/agent/network/service-proxy/iptables.js';
import { buildServicePorts } from '../../../../src/agent/network/service-proxy/model.js';
import { ServiceProxy } from '../../../../src/agent/network/service-proxy/service-proxy.js';
import { RuleSyncer, removeServiceRules } from '../../../../src/agent/network/service-proxy/sync-rules.js';
import { KubeClient } from '../../../../src/client/client.js';
import { resources } from '../../../../src/client/types.js';
import type { EndpointSlice, Service } from '../../../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../../../support/api-server.js';
import { endpointSlice, service } from './fixtures.js';
import { NetnsLab } from './netns-lab.js';

const lab = new NetnsLab('net-ct');
const inNode = ['nsenter', `--net=/run/netns/${lab.node}`];
const options = { clusterCidr: '10.244.0.0/16', nodeIPs: ['192.168.77.1'] };
const dns = (name: string, ip: string, nodePort: number) =>
  service(name, ip, [{ name: 'dns', port: 53, protocol: 'UDP', nodePort }], { type: 'NodePort' });
const slice = (name: string, ip: string) =>
  endpointSlice(name, `${name}-a`, [ip], [{ name: 'dns', port: 5300, protocol: 'UDP' }]);

/** Sends until `want` answers (the rules take a moment to change), at most `tries` times. */
async function until(send: () => string, want: string, tries = 40): Promise<string> {
  let got = '';
  for (let i = 0; i < tries && got !== want; i++) {
    got = send();
    if (got !== want) await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

describe('stale UDP flows', () => {
  let api: RunningApiServer;
  let client: KubeClient;
  let proxy: ServiceProxy | undefined;

  beforeAll(async () => {
    await lab.create(3);
    api = await startApiServer();
    client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await removeServiceRules(commandIptables({ prefix: inNode })).catch(() => {});
    await api?.stop();
    await lab.destroy();
  });

  it('without a cleanup, a client that keeps its source port stays on the replaced endpoint', async () => {
    const [one, two, three] = lab.pods;
    const svc = dns('plain', '10.96.0.60', 30160);
    const syncer = new RuleSyncer(commandIptables({ prefix: inNode }), options);
    const map = (ip: string) => new Map([['default/plain', [slice('plain', ip)]]]);
    await syncer.sync(buildServicePorts([svc], map(one!.ip)), true);
    expect(lab.udpFrom(three!.netns, '10.96.0.60', 53, 40160)).toBe('pod-1');
    await syncer.sync(buildServicePorts([svc], map(two!.ip)), false);
    expect(lab.udpFrom(three!.netns, '10.96.0.60', 53, 40160)).toBe('pod-1');
    // A fresh source port is a fresh flow and takes the new rules.
    expect(lab.udpFrom(three!.netns, '10.96.0.60', 53, 40161)).toBe('pod-2');
    await removeServiceRules(commandIptables({ prefix: inNode }));
  }, 60_000);

  it('the proxy deletes the flows to an endpoint that went, at the cluster IP and the node port', async () => {
    const [one, two, three] = lab.pods;
    await client.create<Service>(resources.services, dns('udp', '10.96.0.61', 30161), 'default');
    await client.create<EndpointSlice>(resources.endpointSlices, slice('udp', one!.ip), 'default');
    proxy = new ServiceProxy({
      client,
      iptables: commandIptables({ prefix: inNode }),
      conntrack: commandConntrack({ prefix: inNode }),
      ...options,
    });
    await proxy.start();
    const fromPod = () => lab.udpFrom(three!.netns, '10.96.0.61', 53, 40162);
    const fromOutside = () => lab.udpFrom(lab.client, '192.168.77.1', 30161, 40163);
    expect(fromPod()).toBe('pod-1');
    expect(fromOutside()).toBe('pod-1');
    // The endpoint pod is replaced by another (the old one still answers, so a stale flow would show).
    const current = await client.get<EndpointSlice>(resources.endpointSlices, 'udp-a', 'default');
    current.endpoints = slice('udp', two!.ip).endpoints;
    await client.update<EndpointSlice>(resources.endpointSlices, current);
    // The flows go one address after another after the rules change, so each is polled.
    expect(await until(fromPod, 'pod-2')).toBe('pod-2');
    expect(await until(fromOutside, 'pod-2')).toBe('pod-2');
    expect(lab.inNode('conntrack', '-L', '-p', 'udp', '--dst-nat', one!.ip)).not.toContain('dport=5300');
  }, 60_000);
});

describe('staleUdpFlows', () => {
  const ports = (ips: string[], protocol = 'UDP') =>
    buildServicePorts(
      [
        service('s', '10.96.0.70', [{ port: 53, protocol, nodePort: 30170 }], {
          type: 'NodePort',
          externalIPs: ['192.0.2.9'],
        }),
      ],
      new Map([['default/s', [endpointSlice('s', 's-a', ips, [{ port: 5300, protocol }])]]]),
    );

  it('names each address of a gone endpoint, and every address of a port that gets its first endpoint', () => {
    expect(staleUdpFlows(ports(['10.244.1.2', '10.244.1.3']), ports(['10.244.1.3']))).toEqual([
      { origDst: '10.96.0.70', dstNat: '10.244.1.2' },
      { origDst: '192.0.2.9', dstNat: '10.244.1.2' },
      { origPortDst: 30170, dstNat: '10.244.1.2' },
    ]);
    expect(staleUdpFlows(ports([]), ports(['10.244.1.3']))).toEqual([
      { origDst: '10.96.0.70' },
      { origDst: '192.0.2.9' },
      { origPortDst: 30170 },
    ]);
    expect(staleUdpFlows(ports(['10.244.1.3']), ports(['10.244.1.3']))).toEqual([]);
    expect(staleUdpFlows(ports(['10.244.1.2'], 'TCP'), ports([], 'TCP'))).toEqual([]);
  });
});
