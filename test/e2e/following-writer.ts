import { readFileSync } from 'node:fs';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { parse } from 'yaml';
import type { Moto } from '../harness/moto.js';
import type { HaWrite } from '../harness/write-outage.js';
import { motoEc2Client } from '../support/moto-ec2.js';
import { HaWriter } from './ha-writer.js';

/** A running master instance as EC2 reports it. */
export interface RunningMaster {
  readonly id: string;
  readonly address: string;
  readonly instanceType: string;
}

/** The cluster's running masters (tag `tugboat:role=master`), by the SDK, in id order. */
export async function describeRunningMasters(moto: Moto, cluster: string): Promise<RunningMaster[]> {
  const ec2 = motoEc2Client(moto);
  try {
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:tugboat:cluster', Values: [cluster] },
          { Name: 'tag:tugboat:role', Values: ['master'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    return (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => ({ id: i.InstanceId!, address: i.PrivateIpAddress!, instanceType: i.InstanceType ?? '?' }))
      .sort((a, b) => a.id.localeCompare(b.id));
  } finally {
    ec2.destroy();
  }
}

/**
 * A write client that follows the masters while `update` replaces them: a replaced master comes
 * back on a new private address, so a client given the old addresses would end with none left.
 * Every `pollMs` the running masters are read from EC2; when they changed, a new {@link HaWriter}
 * (its own name prefix) starts on the current ones and the previous one stops — as a client
 * resolving the API's DNS name (one A value per master) would move. Writes of every writer are kept.
 */
export class FollowingWriter {
  private readonly writers: HaWriter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seen = '';
  private polling: Promise<void> = Promise.resolve();
  private readonly stopping: Promise<void>[] = [];
  private readonly tls: { ca: string; cert: string; key: string };

  constructor(
    private readonly moto: Moto,
    private readonly cluster: string,
    kubeconfig: string,
    private readonly options: { readonly prefix: string; readonly rate: number; readonly pollMs?: number },
  ) {
    const pem = parse(readFileSync(kubeconfig, 'utf8')) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
    this.tls = {
      ca: b64(pem.clusters[0]!.cluster['certificate-authority-data']),
      cert: b64(pem.users[0]!.user['client-certificate-data']),
      key: b64(pem.users[0]!.user['client-key-data']),
    };
  }

  /** Starts on the current masters and follows them until {@link stop}. */
  async start(): Promise<void> {
    await this.follow();
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.follow()).catch(() => {});
    }, this.options.pollMs ?? 1_000);
  }

  /** How many writers ran (one per set of masters seen). */
  get generations(): number {
    return this.writers.length;
  }

  /** Every write of every writer. */
  writes(): HaWrite[] {
    return this.writers.flatMap((w) => w.writes);
  }

  /** Stops following and writing; waits for the writes in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    await Promise.all([...this.stopping, this.writers.at(-1)?.stop()]);
  }

  private async follow(): Promise<void> {
    const masters = await describeRunningMasters(this.moto, this.cluster);
    const key = masters.map((m) => m.id).join(',');
    if (key === this.seen || masters.length === 0) return;
    this.seen = key;
    const writer = new HaWriter(`${this.options.prefix}${this.writers.length}`, {
      servers: masters.map((m) => `https://${m.address}:6443`),
      ...this.tls,
      rate: this.options.rate,
    });
    const previous = this.writers.at(-1);
    this.writers.push(writer);
    writer.start();
    if (previous) this.stopping.push(previous.stop());
  }
}
