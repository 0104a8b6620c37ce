import type { InstanceView } from './ec2-view.js';
import type { InstanceBootOptions } from './instance-boot.js';

/** Options for `HostManager.start`. */
export interface HostManagerOptions {
  /** moto's endpoint on loopback. */
  readonly endpoint: string;
  /** Materialize instances tagged `tugboat:cluster=<cluster>`. */
  readonly cluster: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Keys authorized on every host besides the instance's EC2 key pair. @default [] */
  readonly extraAuthorizedKeys?: readonly string[];
  /** How often to look at the emulator. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Run a dockerd on every host. @default true */
  readonly docker?: boolean;
  /**
   * A known_hosts file (e.g. `~/.tugboat/<cluster>/known_hosts`) that gets each host's key before
   * its sshd listens, and loses it when the host goes: the client pins keys, never trusts on first
   * use. @default none
   */
  readonly knownHostsFile?: string;
  /** Where host directories go; must not be under /tmp (each host mounts its own /tmp). @default '/var/tmp' */
  readonly baseDir?: string;
  /**
   * Boot each new host as EC2 boots an instance: run its user-data as root inside the host's
   * namespaces, with IMDSv2 at 169.254.169.254 and the emulator as its AWS endpoint
   * (`startInstanceBoot`). Without it hosts come up bare, for SSH bootstrap. @default false
   */
  readonly bootFromUserData?: boolean;
  /**
   * With `bootFromUserData`, which new instances run their user-data (asked when the host comes
   * up): e.g. only the replacements after a `tugboat create` that bootstraps over SSH.
   * @default every instance
   */
  readonly bootWhen?: (instance: InstanceView) => boolean;
  /**
   * Faults for a boot: per new instance, what its boot gets differently (see
   * `InstanceBootOptions.imdsRegion`). @default none: every instance boots as EC2 boots it
   */
  readonly bootFaults?: (instance: InstanceView) => Pick<InstanceBootOptions, 'imdsRegion'> | undefined;
  /**
   * Route the cluster's Elastic IPs as AWS does (`EipNat`, eip-nat.ts): in every host's namespace and
   * the runner's, an address associated with a running instance leads to its private IP, any
   * other is dropped, and a moved address forgets its old connections. Needs the e2e
   * confinement (it changes the runner's namespace). @default false
   */
  readonly elasticIps?: boolean;
  /**
   * When an instance is terminated, shut its host down as EC2 does — the tugboat services get
   * SIGTERM while the network and the AWS endpoint are still up (at most 15 s) — before the
   * teardown kills everything at once. @default false: everything at once
   */
  readonly orderlyShutdown?: boolean;
  /** Progress lines (host up, host removed, with timings). @default ignored */
  readonly log?: (line: string) => void;
}
