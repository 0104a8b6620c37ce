import type { ClusterStatus } from '../cluster/status.js';
import { PeriodicRelay } from './periodic-relay.js';

/** Reads the cluster's AWS side (stack, groups, instances, EIPs): `clusterStatus` with the user's credentials. */
export type CloudSource = () => Promise<ClusterStatus>;

/** What the page may do on the AWS side, with the user's own AWS credentials (IAM decides). */
export interface CloudActions {
  /** `tugboat eip assign NAME [--group G]`: free pool EIPs to the hosts without one. */
  assignEips(group: string | undefined): Promise<unknown>;
}

/** What the page gets about the AWS side: the latest status, or why it could not be read. */
export type CloudMessage =
  | { readonly r: 'aws'; readonly t: 'STATUS'; readonly status: ClusterStatus; readonly at: string }
  | { readonly r: 'aws'; readonly t: 'ERROR'; readonly message: string; readonly at: string };

/**
 * AWS has no watch: the server reads the cluster's status every `intervalMs` while at least one
 * page is connected (never when none is), and pushes it to the pages on the same event stream as
 * the watches, so the page itself never polls (see PeriodicRelay). A failed read is a message.
 */
export class CloudRelay extends PeriodicRelay<CloudMessage> {
  private last: CloudMessage | undefined;

  constructor(
    private readonly source: CloudSource,
    intervalMs: number,
  ) {
    super(intervalMs);
  }

  protected snapshot(): CloudMessage[] {
    return this.last ? [this.last] : [];
  }

  protected async read(): Promise<CloudMessage[]> {
    const at = new Date().toISOString();
    try {
      this.last = { r: 'aws', t: 'STATUS', status: await this.source(), at };
    } catch (err) {
      this.last = { r: 'aws', t: 'ERROR', message: err instanceof Error ? err.message : String(err), at };
    }
    return [this.last];
  }
}
