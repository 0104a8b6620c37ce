import type { Sshd, SshKeyPair } from '../harness/sshd.js';
import { startSshd } from '../harness/sshd.js';

/** Hosts of a test inventory: name → loopback address; the first is the master, the rest workers. */
export type LoopbackHosts = readonly (readonly [name: string, address: string])[];

/**
 * Starts one sshd per host (each on its own loopback address, all accepting `clientKey`) and
 * renders the inventory YAML of a process-runtime cluster over them. The caller stops the sshds.
 */
export async function startInventoryHosts(
  cluster: string,
  hosts: LoopbackHosts,
  clientKey: SshKeyPair,
): Promise<{ sshds: Map<string, Sshd>; inventoryText: string }> {
  const sshds = new Map<string, Sshd>();
  for (const [name, address] of hosts)
    sshds.set(name, await startSshd({ listenAddress: address, clientKey }));
  const line = ([name]: readonly [string, string], i: number) => {
    const s = sshds.get(name)!;
    return `  - { name: ${name}, address: ${s.host}, port: ${s.port}, role: ${i === 0 ? 'master' : 'worker'} }`;
  };
  const inventoryText = [
    `cluster: ${cluster}`,
    `ssh: { user: ${sshds.get(hosts[0]![0])!.username}, privateKeyFile: ${clientKey.privateKeyPath} }`,
    'runtime: process',
    'hosts:',
    ...hosts.map(line),
  ].join('\n');
  return { sshds, inventoryText };
}
