import type { Pod } from '../../kube/index.js';

/** The cluster's DNS domain. */
export const clusterDomain = 'cluster.local';

/**
 * A pod's hostname and domain as the kubelet gives them: `spec.hostname` or the pod name (cut to
 * 63 characters, the longest DNS label), and with `spec.subdomain` the domain
 * `<subdomain>.<namespace>.svc.cluster.local`, so the FQDN is `<hostname>.<subdomain>.<ns>.svc...`.
 * Pure.
 */
export function podHostname(pod: Pod): { hostname: string; domainname?: string } {
  const hostname = (pod.spec.hostname || pod.metadata.name || 'pod').slice(0, 63).replace(/[-.]+$/, '');
  const sub = pod.spec.subdomain;
  const ns = pod.metadata.namespace ?? 'default';
  return sub ? { hostname, domainname: `${sub}.${ns}.svc.${clusterDomain}` } : { hostname };
}

/**
 * The pod's /etc/hosts, in the kubelet's format: localhost entries, the pod's own address with its
 * FQDN and hostname, then `spec.hostAliases`. Pure.
 */
export function renderPodHosts(pod: Pod, podIP: string): string {
  const { hostname, domainname } = podHostname(pod);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    domainname ? `${podIP}\t${hostname}.${domainname}\t${hostname}` : `${podIP}\t${hostname}`,
  ];
  const aliases = pod.spec.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) {
      const names = (a.hostnames ?? []).filter((h) => /^[A-Za-z0-9.-]+$/.test(h));
      if (a.ip && /^[0-9a-fA-F.:]+$/.test(a.ip) && names.length) lines.push(`${a.ip}\t${names.join('\t')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
