import {
  DescribeAddressesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';

/** One emulated instance as the host harness needs it. */
export interface InstanceView {
  readonly instanceId: string;
  readonly state: string;
  readonly privateIp: string;
  readonly subnetId: string;
  readonly keyName: string | undefined;
  /** @default '' when the emulator gives none */
  readonly availabilityZone: string;
  /** @default '' when the emulator gives none */
  readonly instanceType: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** One Elastic IP of a cluster and the instance it is associated with, if any. */
export interface AddressView {
  readonly publicIp: string;
  /** @default undefined when the address is not associated */
  readonly instanceId: string | undefined;
}

/** Options for {@link Ec2View}. */
export interface Ec2ViewOptions {
  /** The emulator's endpoint, e.g. http://127.0.0.1:4566 (must be on loopback). */
  readonly endpoint: string;
  /** @default 'us-east-1' */
  readonly region?: string;
}

/**
 * The few EC2 reads the host harness makes: instances of a cluster, subnet CIDRs, imported public
 * keys. Refuses any endpoint off loopback, so the harness can never be pointed at real AWS.
 */
export class Ec2View {
  private readonly ec2: EC2Client;

  constructor(options: Ec2ViewOptions) {
    const host = new URL(options.endpoint).hostname;
    if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== 'localhost')
      throw new Error(
        `host harness endpoint ${options.endpoint} is not on loopback: start moto on 127.0.0.1`,
      );
    this.ec2 = new EC2Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }

  /** Instances tagged `tugboat:cluster=<cluster>` in any state (terminated ones included). */
  async instances(cluster: string): Promise<InstanceView[]> {
    const out: InstanceView[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await this.ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'tag:tugboat:cluster', Values: [cluster] }],
          NextToken: token,
        }),
      );
      for (const r of res.Reservations ?? [])
        for (const i of r.Instances ?? []) {
          if (!i.InstanceId || !i.PrivateIpAddress || !i.SubnetId) continue;
          out.push({
            instanceId: i.InstanceId,
            state: i.State?.Name ?? 'unknown',
            privateIp: i.PrivateIpAddress,
            subnetId: i.SubnetId,
            keyName: i.KeyName,
            availabilityZone: i.Placement?.AvailabilityZone ?? '',
            instanceType: i.InstanceType ?? '',
            tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
          });
        }
      token = res.NextToken;
      if (!token) break;
    }
    return out;
  }

  /** The IPv4 CIDR of a subnet, e.g. 10.0.1.0/24. */
  async subnetCidr(subnetId: string): Promise<string> {
    const res = await this.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    const cidr = res.Subnets?.[0]?.CidrBlock;
    if (!cidr) throw new Error(`subnet ${subnetId} has no IPv4 CIDR in the emulator`);
    return cidr;
  }

  /** The OpenSSH public key imported under `keyName` (DescribeKeyPairs with IncludePublicKey). */
  async publicKey(keyName: string): Promise<string> {
    const res = await this.ec2.send(
      new DescribeKeyPairsCommand({ KeyNames: [keyName], IncludePublicKey: true }),
    );
    const key = res.KeyPairs?.[0]?.PublicKey?.trim();
    if (!key) throw new Error(`key pair ${keyName} has no public key in the emulator: import one first`);
    return key;
  }

  /**
   * The user-data an instance was launched with (from its launch template), as text; undefined
   * when it has none.
   */
  async userData(instanceId: string): Promise<string | undefined> {
    const res = await this.ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
    );
    const b64 = res.UserData?.Value;
    return b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
  }

  /** Elastic IPs tagged `tugboat:cluster=<cluster>` (the cluster's pool), with their association. */
  async addresses(cluster: string): Promise<AddressView[]> {
    const res = await this.ec2.send(new DescribeAddressesCommand({}));
    return (res.Addresses ?? [])
      .filter((a) => a.PublicIp && a.Tags?.some((t) => t.Key === 'tugboat:cluster' && t.Value === cluster))
      .map((a) => ({ publicIp: a.PublicIp ?? '', instanceId: a.InstanceId || undefined }));
  }

  close(): void {
    this.ec2.destroy();
  }
}
