import { describe, expect, it } from 'vitest';
import { podHostPortMappings, renderHostPortRules } from '../../../src/agent/network/host-ports.js';
import type { Pod } from '../../../src/kube/index.js';

const pod = (ports: unknown[], name = 'web'): Pod =>
  ({
    metadata: { namespace: 'default', name },
    spec: { containers: [{ name: 'c', image: 'i', ports }] },
  }) as unknown as Pod;

describe('host ports on the pod network', () => {
  it('maps every container port that asks for a host port; the wildcard address means every address', () => {
    const m = podHostPortMappings(
      pod([
        { containerPort: 8080, hostPort: 80 },
        { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '10.0.0.4' },
        { containerPort: 9090 },
        { containerPort: 443, hostPort: 443, hostIP: '0.0.0.0' },
      ]),
      '10.244.1.5',
    );
    expect(m).toEqual([
      { pod: 'default/web', protocol: 'tcp', hostPort: 80, podIP: '10.244.1.5', containerPort: 8080 },
      {
        pod: 'default/web',
        protocol: 'udp',
        hostPort: 5353,
        hostIP: '10.0.0.4',
        podIP: '10.244.1.5',
        containerPort: 53,
      },
      { pod: 'default/web', protocol: 'tcp', hostPort: 443, podIP: '10.244.1.5', containerPort: 443 },
    ]);
    expect(renderHostPortRules(m)).toEqual([
      '-A TUGBOAT-HOSTPORTS -p tcp -m tcp --dport 443 -s 10.244.1.5/32 -m comment --comment "default/web hostPort 443" -j MARK --set-xmark 0x2000/0x2000',
      '-A TUGBOAT-HOSTPORTS -p tcp -m tcp --dport 443 -s 127.0.0.1/32 -m comment --comment "default/web hostPort 443" -j MARK --set-xmark 0x2000/0x2000',
      '-A TUGBOAT-HOSTPORTS -p tcp -m tcp --dport 443 -m comment --comment "default/web hostPort 443" -j DNAT --to-destination 10.244.1.5:443',
      '-A TUGBOAT-HOSTPORTS -p tcp -m tcp --dport 80 -s 10.244.1.5/32 -m comment --comment "default/web hostPort 80" -j MARK --set-xmark 0x2000/0x2000',
      '-A TUGBOAT-HOSTPORTS -p tcp -m tcp --dport 80 -s 127.0.0.1/32 -m comment --comment "default/web hostPort 80" -j MARK --set-xmark 0x2000/0x2000',
      '-A TUGBOAT-HOSTPORTS -p tcp -m tcp --dport 80 -m comment --comment "default/web hostPort 80" -j DNAT --to-destination 10.244.1.5:8080',
      '-A TUGBOAT-HOSTPORTS -p udp -m udp --dport 5353 -d 10.0.0.4/32 -s 10.244.1.5/32 -m comment --comment "default/web hostPort 5353" -j MARK --set-xmark 0x2000/0x2000',
      '-A TUGBOAT-HOSTPORTS -p udp -m udp --dport 5353 -d 10.0.0.4/32 -s 127.0.0.1/32 -m comment --comment "default/web hostPort 5353" -j MARK --set-xmark 0x2000/0x2000',
      '-A TUGBOAT-HOSTPORTS -p udp -m udp --dport 5353 -d 10.0.0.4/32 -m comment --comment "default/web hostPort 5353" -j DNAT --to-destination 10.244.1.5:53',
    ]);
  });

  it('leaves out what a rule cannot carry safely instead of failing the rest', () => {
    const odd = podHostPortMappings(
      pod([
        { containerPort: 1, hostPort: 70000 },
        { containerPort: 2, hostPort: 2, hostIP: 'fe80::1' },
        { containerPort: 3, hostPort: 3, protocol: 'ICMP' },
        { containerPort: 'x', hostPort: 4 },
        null,
        { containerPort: 5, hostPort: 5, hostIP: '1.2.3.4" -j ACCEPT' },
      ]),
      '10.244.1.5',
    );
    expect(odd).toEqual([]);
    expect(podHostPortMappings(pod([{ containerPort: 1, hostPort: 1 }], 'Bad"Name'), '10.244.1.5')).toEqual(
      [],
    );
    expect(podHostPortMappings(pod([{ containerPort: 1, hostPort: 1 }]), 'not-an-ip')).toEqual([]);
  });
});
