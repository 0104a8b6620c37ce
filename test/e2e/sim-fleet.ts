import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkNothingLeft, emptyFootprint } from '../harness/hosts/leftovers.js';
import { bridgeName, cgroupParentName, netnsName, runId, vethName } from '../harness/hosts/names.js';
import { type SimHost, startSimHost } from '../harness/hosts/sim-host.js';
import { createSubnetBridge, type SubnetBridge } from '../harness/hosts/subnet-bridge.js';

/** One machine of a {@link SimFleet}. */
export interface SimFleetHost {
  readonly name: string;
  readonly privateIp: string;
  readonly authorizedKeys: readonly string[];
  /** @default false */
  readonly docker?: boolean;
}

/** What the machine's Node.js is called in /usr/bin (Debian: `node`, and `nodejs` through alternatives). */
export const NODE_COMMANDS = ['node', 'nodejs'] as const;

/** Options for {@link startSimFleet}. */
export interface SimFleetOptions {
  /** The test subnet, e.g. `10.78.1.0/24`; its .1 is the runner's address on the bridge. */
  readonly cidr: string;
  readonly hosts: readonly SimFleetHost[];
  /** Hosts without Node.js: the machine's node and nodejs are whited out of their /usr/bin. @default false */
  readonly withoutNode?: boolean;
}

/** Hosts on one test bridge, without any cloud behind them: what an on-premises inventory names. */
export interface SimFleet {
  readonly bridge: SubnetBridge;
  /** By name. */
  readonly hosts: ReadonlyMap<string, SimHost>;
  /** Tears every host and the bridge down, then throws unless nothing the fleet made is left. */
  stop(): Promise<void>;
}

/**
 * Starts machines for an inventory test: each in its own network namespace on one bridge, with
 * copy-on-write copies of /etc, /opt, /var/lib and /var/log in which tugboat's directories do not
 * exist yet, its own /run and /tmp, its own PID namespace, and sshd (plus dockerd when asked).
 */
export async function startSimFleet(options: SimFleetOptions): Promise<SimFleet> {
  const footprint = emptyFootprint();
  const baseDir = mkdtempSync(join('/var/tmp', `tugboat-e2e-${runId()}-fleet-`));
  footprint.dirs.push(baseDir);
  const bridge = createSubnetBridge(bridgeName(0), options.cidr);
  footprint.links.push(bridge.name);
  const hosts = new Map<string, SimHost>();
  const stop = async () => {
    const errors: string[] = [];
    await Promise.all(
      [...hosts.values()].map((h) => h.stop().catch((err: Error) => errors.push(err.message))),
    );
    bridge.destroy();
    rmSync(baseDir, { recursive: true, force: true });
    const left = await checkNothingLeft(footprint);
    if (errors.length > 0 || left.length > 0)
      throw new Error(`sim fleet left things behind: ${[...errors, ...left].join('; ')}`);
  };
  try {
    await Promise.all(
      options.hosts.map(async (spec, n) => {
        const names = { netns: netnsName(n), veth: vethName(n), cgroupParent: cgroupParentName(n) };
        footprint.netns.push(names.netns);
        footprint.links.push(names.veth);
        footprint.cgroups.push(names.cgroupParent);
        const host = await startSimHost({
          ...names,
          instanceId: spec.name,
          privateIp: spec.privateIp,
          bridge,
          dir: join(baseDir, spec.name),
          authorizedKeys: spec.authorizedKeys,
          docker: spec.docker ?? false,
          hostDirs: 'overlay',
          ...(options.withoutNode ? { hiddenCommands: NODE_COMMANDS } : {}),
          pidNamespace: true,
        });
        footprint.pids.push(...host.processes());
        footprint.namespaces.push(...host.namespaces);
        hosts.set(spec.name, host);
      }),
    );
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { bridge, hosts, stop };
}
