/** Reads the host's resolver settings, as the kubelet's `--resolv-conf` does. */
import { readFileSync } from 'node:fs';
import { onlyLoopbackNameservers, parseResolvConf, type ResolvConf } from './resolv-conf.js';

/** Where the host's resolvers are read from. */
export const HOST_RESOLV_CONF = '/etc/resolv.conf';
/** systemd-resolved's list of the real upstreams, for when /etc/resolv.conf names only its stub. */
export const RESOLVED_UPSTREAM_CONF = '/run/systemd/resolve/resolv.conf';

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The host's resolv.conf for pods (`dnsPolicy: Default`, and the host's search domains): when it
 * names only a loopback stub (systemd-resolved's 127.0.0.53), which means nothing inside a pod's
 * own network namespace, systemd-resolved's upstream list instead, as kubeadm points the kubelet at.
 */
export function readHostResolvConfForPods(read: (file: string) => string = readOrEmpty): ResolvConf {
  const conf = parseResolvConf(read(HOST_RESOLV_CONF));
  if (!onlyLoopbackNameservers(conf)) return conf;
  const upstream = parseResolvConf(read(RESOLVED_UPSTREAM_CONF));
  return upstream.nameservers.length ? upstream : conf;
}
