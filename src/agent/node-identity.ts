import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import type { AgentConfig } from './config.js';
import { fetchInstanceIdentity, type InstanceIdentity } from './imds.js';
import type { NodeIdentity } from './node-object.js';

/** True when this machine looks like an EC2 instance (DMI or Xen hypervisor markers). */
export function looksLikeEc2(): boolean {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim().toLowerCase();
    } catch {
      return '';
    }
  };
  return (
    read('/sys/devices/virtual/dmi/id/board_asset_tag').startsWith('i-') ||
    read('/sys/devices/virtual/dmi/id/sys_vendor') === 'amazon ec2' ||
    read('/sys/hypervisor/uuid').startsWith('ec2')
  );
}

/** The first non-internal IPv4 address of this host, else 127.0.0.1. */
export function firstHostIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Works out who this node is: from IMDSv2 when `imds` is on (or auto on EC2) — name = instance id,
 * zone, region, instance type, private and public IPs — otherwise from the host; explicit config
 * values always win.
 */
export async function resolveNodeIdentity(
  config: AgentConfig,
): Promise<{ identity: NodeIdentity; instance?: InstanceIdentity }> {
  const useImds = config.imds === 'on' || (config.imds === 'auto' && looksLikeEc2());
  const instance = useImds ? await fetchInstanceIdentity({ endpoint: config.imdsEndpoint }) : undefined;
  const host = instance?.localHostname ?? hostname();
  const zone = config.zone ?? instance?.availabilityZone;
  const region = config.region ?? instance?.region;
  const instanceType = config.instanceType ?? instance?.instanceType;
  const externalIP = config.externalIP ?? instance?.publicIp;
  const identity: NodeIdentity = {
    name: config.nodeName ?? instance?.instanceId ?? hostname(),
    hostname: host,
    internalIP: config.internalIP ?? instance?.privateIp ?? firstHostIPv4(),
    ...(externalIP ? { externalIP } : {}),
    ...(zone ? { zone } : {}),
    ...(region ? { region } : {}),
    ...(instanceType ? { instanceType } : {}),
    ...(instance ? { providerID: `aws:///${instance.availabilityZone}/${instance.instanceId}` } : {}),
    ...(config.group ? { group: config.group } : {}),
  };
  return { identity, ...(instance ? { instance } : {}) };
}
