import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ec2View, type InstanceView } from './ec2-view.js';
import { EipNat } from './eip-nat.js';
import type { HostManagerOptions } from './host-manager-options.js';
import { killServices, stopServicesGracefully } from './host-shutdown.js';
import { type InstanceBoot, startInstanceBoot } from './instance-boot.js';
import { pinHostKey, unpinHostKey } from './known-hosts-file.js';
import { checkNothingLeft, emptyFootprint, type HarnessFootprint } from './leftovers.js';
import { bridgeName, cgroupParentName, netnsName, runId, vethName } from './names.js';
import { sleep } from './shell.js';
import { type SimHost, startSimHost } from './sim-host.js';
import { createSubnetBridge, type SubnetBridge } from './subnet-bridge.js';

export type { HostManagerOptions } from './host-manager-options.js';

/**
 * Watches the emulator and keeps one {@link SimHost} per running instance of a cluster: creates a
 * host when an instance runs, tears it down when the instance is terminated or gone. `stop()`
 * removes every host and bridge and then proves that nothing it made is left.
 */
export class HostManager {
  private readonly ec2: Ec2View;
  private readonly live = new Map<string, SimHost>();
  private readonly boots = new Map<string, InstanceBoot>();
  private readonly bridges = new Map<string, SubnetBridge>();
  private readonly eipNat: EipNat | undefined;
  private readonly footprint: HarnessFootprint = emptyFootprint();
  private readonly baseDir: string;
  private counter = 0;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The last error a polling pass hit (shown when a wait times out). */
  lastError: Error | undefined;

  private constructor(private readonly options: HostManagerOptions) {
    this.ec2 = new Ec2View({ endpoint: options.endpoint, region: options.region });
    this.baseDir = mkdtempSync(join(options.baseDir ?? '/var/tmp', `tugboat-e2e-${runId()}-`));
    this.footprint.dirs.push(this.baseDir);
    this.eipNat = options.elasticIps ? new EipNat((l) => this.log(l)) : undefined;
  }

  /** Starts watching; the first pass runs right away. */
  static start(options: HostManagerOptions): HostManager {
    const manager = new HostManager(options);
    manager.schedule(0);
    return manager;
  }

  /** Hosts that are up, by instance id. */
  hosts(): SimHost[] {
    return [...this.live.values()];
  }

  /** The host of an instance, or undefined if it is not (or no longer) up. */
  host(instanceId: string): SimHost | undefined {
    return this.live.get(instanceId);
  }

  /** The boot of an instance's host ({@link HostManagerOptions.bootFromUserData}), while the host is up. */
  boot(instanceId: string): InstanceBoot | undefined {
    return this.boots.get(instanceId);
  }

  /** Runs one reconcile pass now (after any pass in flight). */
  sync(): Promise<void> {
    this.pass = this.pass.then(() => this.reconcile());
    return this.pass;
  }

  /** Waits (bounded) until `predicate` holds for the current hosts; the error names the last failure. */
  async waitFor(
    predicate: (hosts: SimHost[]) => boolean,
    what: string,
    timeoutMs = 300_000,
  ): Promise<SimHost[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (predicate(this.hosts())) return this.hosts();
      await sleep(250);
    }
    const ids = this.hosts().map((h) => `${h.instanceId}=${h.privateIp}`);
    throw new Error(
      `host harness: timed out after ${timeoutMs} ms waiting for ${what}; up: [${ids.join(', ')}]` +
        (this.lastError ? `; last error: ${this.lastError.message}` : ''),
    );
  }

  /** Stops polling, tears every host and bridge down, and throws unless nothing it made is left. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass.catch(() => {});
    const errors: string[] = [];
    await Promise.all(
      this.hosts().map((h) =>
        this.removeHost(h).catch((err: Error) => {
          errors.push(err.message);
        }),
      ),
    );
    this.live.clear();
    for (const b of this.bridges.values()) b.destroy();
    this.bridges.clear();
    try {
      this.eipNat?.close();
    } catch (err) {
      errors.push(`elastic ip rules: ${(err as Error).message}`);
    }
    rmSync(this.baseDir, { recursive: true, force: true });
    this.ec2.close();
    const left = await checkNothingLeft(this.footprint);
    if (errors.length > 0 || left.length > 0)
      throw new Error(`host harness left things behind: ${[...errors, ...left].join('; ')}`);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sync()
        .catch(() => {})
        .finally(() => this.schedule(this.options.pollIntervalMs ?? 1_000));
    }, delayMs);
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    try {
      const instances = await this.ec2.instances(this.options.cluster);
      const running = new Map(instances.filter((i) => i.state === 'running').map((i) => [i.instanceId, i]));
      const gone = this.hosts().filter((h) => !running.has(h.instanceId));
      // Every gone host at once: one after the other, the last one's services would outlive
      // "terminated" by the others' teardowns (seconds each).
      await Promise.all(
        gone.map(async (host) => {
          const started = Date.now();
          try {
            await this.removeHost(host, this.options.orderlyShutdown ?? false);
          } finally {
            this.live.delete(host.instanceId);
            unpinHostKey(this.options.knownHostsFile, host.knownHostsLine);
          }
          this.log(`removed host ${host.instanceId} (${host.privateIp}) in ${Date.now() - started} ms`);
        }),
      );
      const fresh = [...running.values()].filter((i) => !this.live.has(i.instanceId));
      await Promise.all(fresh.map((i) => this.materialize(i)));
      if (this.eipNat) await this.routeElasticIps(this.eipNat);
      this.lastError = undefined;
    } catch (err) {
      this.lastError = err as Error;
      throw err;
    }
  }

  /** Where each of the cluster's Elastic IPs leads now: the private IP of a host that is up, or nowhere. */
  private async routeElasticIps(nat: EipNat): Promise<void> {
    const addresses = await this.ec2.addresses(this.options.cluster);
    const routes = addresses.map((a) => ({
      publicIp: a.publicIp,
      privateIp: a.instanceId ? this.live.get(a.instanceId)?.privateIp : undefined,
    }));
    nat.update(
      routes,
      this.hosts().map((h) => h.netns),
    );
  }

  /** Where each Elastic IP of the cluster leads now ({@link HostManagerOptions.elasticIps}); empty without it. */
  elasticIpRoutes(): ReadonlyMap<string, string | undefined> {
    return this.eipNat?.current() ?? new Map();
  }

  private async materialize(instance: InstanceView): Promise<void> {
    const started = Date.now();
    const n = this.counter++;
    const bridge = await this.bridgeFor(instance.subnetId);
    const keys = [...(this.options.extraAuthorizedKeys ?? [])];
    if (instance.keyName) keys.push(await this.ec2.publicKey(instance.keyName));
    if (keys.length === 0)
      throw new Error(
        `instance ${instance.instanceId} has no key pair and no extraAuthorizedKeys were given`,
      );
    const spec = {
      netns: netnsName(n),
      veth: vethName(n),
      cgroupParent: cgroupParentName(n),
      dir: join(this.baseDir, instance.instanceId),
    };
    this.footprint.netns.push(spec.netns);
    this.footprint.links.push(spec.veth);
    this.footprint.cgroups.push(spec.cgroupParent);
    const host = await startSimHost({
      ...spec,
      instanceId: instance.instanceId,
      privateIp: instance.privateIp,
      bridge,
      authorizedKeys: keys,
      docker: this.options.docker,
      // A booted instance reaches the emulator as its AWS endpoint from every process, SSH
      // sessions included (a service `tugboat restore` restarts over SSH ships to the same S3).
      ...(this.options.bootFromUserData
        ? { sessionEnv: { AWS_ENDPOINT_URL: `http://127.0.0.1:${new URL(this.options.endpoint).port}` } }
        : {}),
      onHostKey: (line) => pinHostKey(this.options.knownHostsFile, line),
    }).catch((err: Error) => {
      // The next pass tries again with a new host (and host key): say why this one went away,
      // since a client that had already connected sees only its session die.
      this.log(`host ${instance.instanceId} at ${instance.privateIp} failed to start: ${err.message}`);
      throw err;
    });
    this.footprint.pids.push(...host.processes());
    this.footprint.namespaces.push(...host.namespaces);
    this.live.set(instance.instanceId, host);
    this.log(`host ${instance.instanceId} up at ${instance.privateIp} in ${Date.now() - started} ms`);
    if (this.options.bootFromUserData && (this.options.bootWhen?.(instance) ?? true))
      await this.bootHost(host, instance);
  }

  /** Runs the instance's user-data on its host; a host whose boot cannot start is removed again. */
  private async bootHost(host: SimHost, instance: InstanceView): Promise<void> {
    try {
      const userData = await this.ec2.userData(instance.instanceId);
      if (!userData) {
        this.log(`host ${instance.instanceId} has no user-data: nothing to boot`);
        return;
      }
      const boot = await startInstanceBoot({
        host,
        instance,
        userData,
        region: this.options.region ?? 'us-east-1',
        endpoint: this.options.endpoint,
        ...this.options.bootFaults?.(instance),
      });
      this.boots.set(instance.instanceId, boot);
      this.footprint.pids.push(...boot.pids());
      this.log(`host ${instance.instanceId} boots from its user-data (console: ${boot.consoleFile})`);
      void boot.done.then((e) =>
        this.log(
          `boot of ${instance.instanceId} ended in ${e.seconds.toFixed(1)} s: ${e.signal ?? `exit ${e.code}`}`,
        ),
      );
    } catch (err) {
      this.log(`host ${instance.instanceId} could not boot: ${(err as Error).message}`);
      await this.removeHost(host).finally(() => {
        this.live.delete(instance.instanceId);
        unpinHostKey(this.options.knownHostsFile, host.knownHostsLine);
      });
      throw err;
    }
  }

  /**
   * Stops a host (every process in it, the boot's user-data and services included), then its
   * boot's servers. `orderly` first stops its tugboat services with the network up
   * ({@link stopServicesGracefully}); otherwise they are killed first, as power goes off
   * ({@link killServices}).
   */
  private async removeHost(host: SimHost, orderly = false): Promise<void> {
    const boot = this.boots.get(host.instanceId);
    const began = Date.now();
    const left = orderly ? await stopServicesGracefully(host, 15_000) : await killServices(host, 5_000);
    if (left.length > 0)
      this.log(`host ${host.instanceId}: services ${left.join(', ')} still up after shutdown`);
    else this.log(`host ${host.instanceId}: services down in ${Date.now() - began} ms`);
    try {
      await host.stop();
    } finally {
      this.boots.delete(host.instanceId);
      await boot?.stop();
    }
  }

  private async bridgeFor(subnetId: string): Promise<SubnetBridge> {
    const known = this.bridges.get(subnetId);
    if (known) return known;
    const cidr = await this.ec2.subnetCidr(subnetId);
    const again = this.bridges.get(subnetId);
    if (again) return again;
    const bridge = createSubnetBridge(bridgeName(this.bridges.size), cidr);
    this.bridges.set(subnetId, bridge);
    this.footprint.links.push(bridge.name);
    return bridge;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
