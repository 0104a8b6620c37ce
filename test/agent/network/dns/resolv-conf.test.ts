import { describe, expect, it } from 'vitest';
import {
  buildPodResolvConf,
  onlyLoopbackNameservers,
  parseResolvConf,
  renderResolvConf,
} from '../../../../src/agent/network/dns/resolv-conf.js';
import type { Pod } from '../../../../src/kube/index.js';

const host = parseResolvConf(
  '# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3 ; second\ndomain old.internal\nsearch ec2.internal corp.example\noptions timeout:2 attempts:3\n',
);

function pod(spec: Record<string, unknown>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'shop', name: 'p' },
    spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
  } as Pod;
}

const ctx = { clusterDns: '10.244.1.1', host };

describe('pod resolv.conf (kubelet dnsPolicy rules)', () => {
  it('parses the host file: last search/domain line wins, comments dropped', () => {
    expect(host).toEqual({
      nameservers: ['10.0.0.2', '10.0.0.3'],
      searches: ['ec2.internal', 'corp.example'],
      options: ['timeout:2', 'attempts:3'],
    });
    expect(onlyLoopbackNameservers(parseResolvConf('nameserver 127.0.0.53\n'))).toBe(true);
    expect(onlyLoopbackNameservers(host)).toBe(false);
  });

  it('ClusterFirst (and no policy): cluster DNS, the namespace search list plus the host searches, ndots:5', () => {
    const text = renderResolvConf(buildPodResolvConf(pod({}), ctx));
    expect(text).toBe(
      'nameserver 10.244.1.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local ec2.internal corp.example\noptions ndots:5\n',
    );
    expect(buildPodResolvConf(pod({ dnsPolicy: 'ClusterFirst' }), ctx)).toEqual(
      buildPodResolvConf(pod({}), ctx),
    );
  });

  it('Default, and ClusterFirst on the host network, give the host file; ClusterFirstWithHostNet the cluster', () => {
    expect(buildPodResolvConf(pod({ dnsPolicy: 'Default' }), ctx)).toEqual(host);
    expect(buildPodResolvConf(pod({ hostNetwork: true }), ctx)).toEqual(host);
    expect(
      buildPodResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), ctx).nameservers,
    ).toEqual(['10.244.1.1']);
  });

  it('None takes only dnsConfig; dnsConfig is appended and its options replace ones of the same name', () => {
    const none = buildPodResolvConf(
      pod({
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1'],
          searches: ['a.example'],
          options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
        },
      }),
      ctx,
    );
    expect(renderResolvConf(none)).toBe('nameserver 1.1.1.1\nsearch a.example\noptions ndots:2 edns0\n');
    const merged = buildPodResolvConf(
      pod({
        dnsConfig: {
          nameservers: ['10.244.1.1', '8.8.8.8'],
          searches: ['x.example'],
          options: [{ name: 'ndots', value: '1' }],
        },
      }),
      ctx,
    );
    expect(merged.nameservers).toEqual(['10.244.1.1', '8.8.8.8']);
    expect(merged.searches.at(-1)).toBe('x.example');
    expect(merged.options).toEqual(['ndots:1']);
    expect(renderResolvConf(buildPodResolvConf(pod({ dnsPolicy: 'None' }), ctx))).toBe('');
  });

  it('keeps the limits and drops values that would break the file', () => {
    const r = buildPodResolvConf(
      pod({
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', 'evil\nnameserver 6.6.6.6', 7],
          searches: Array.from({ length: 40 }, (_, i) => `s${i}.example`),
          options: [{ name: 'a b' }, { name: 'rotate', value: 'x\ny' }, 'junk'],
        },
      }),
      ctx,
    );
    expect(r.nameservers).toEqual(['1.1.1.1', '1.1.1.2', '1.1.1.3']);
    expect(r.searches).toHaveLength(32);
    expect(r.options).toEqual(['rotate']);
    expect(renderResolvConf(r)).not.toContain('6.6.6.6');
  });
});
