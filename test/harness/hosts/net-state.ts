/**
 * A simulated host's network state as its kernel holds it, read from the runner inside the host's
 * network namespace: the rules (`iptables-save`, counters dropped), links and routes. The e2e uses
 * it to prove that `uninstall` leaves nothing of tugboat's and Docker's own rules as they were.
 */
import { run } from './shell.js';

/** `iptables-save` of the namespace (nat and filter), without comments and counters. */
export function savedRules(netns: string): string[] {
  return run('ip', ['netns', 'exec', netns, 'iptables-save'])
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
}

/** Docker's own lines of a rule set: its chains, their jumps and its bridge's rules, in order. */
export function dockerRules(rules: readonly string[]): string[] {
  let table = '';
  const out: string[] = [];
  for (const line of rules) {
    if (line.startsWith('*')) table = line;
    else if (/docker/i.test(line)) out.push(`${table} ${line}`);
  }
  return out;
}

/**
 * What of tugboat's pod network and service proxy is left in the namespace: links named like
 * ours (the bridge, the VXLAN device, pod veths), routes over them or to the pod range, and any
 * rule or chain of ours. Empty when clean.
 */
export function tugboatNetworkLeftovers(netns: string, podCidr = '10.244.'): string[] {
  const left: string[] = [];
  const links = run('ip', ['netns', 'exec', netns, 'ip', '-o', 'link', 'show']);
  for (const line of links.split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name && /^(tugboat|tbv)/.test(name)) left.push(`link ${name}`);
  }
  const routes = run('ip', ['netns', 'exec', netns, 'ip', 'route', 'show']);
  for (const line of routes.split('\n')) {
    if (/tugboat|tbv/.test(line) || line.startsWith(podCidr)) left.push(`route ${line}`);
  }
  for (const line of savedRules(netns)) if (/tugboat/i.test(line)) left.push(`rule ${line}`);
  return left;
}
