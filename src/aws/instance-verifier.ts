import type { Ec2Api, Ec2Instance } from './ec2.js';

/** EC2 instance ids: `i-` and 8 or 17 hex digits. */
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const GONE_STATES = new Set(['shutting-down', 'terminated']);

/** The instance id of a Node: from `aws:///<zone>/<id>` in spec.providerID, else the name (tugboat names EC2 nodes by instance id). */
export function instanceIdOfNode(node: {
  readonly name: string;
  readonly providerID?: string;
}): string | undefined {
  const fromProvider = node.providerID?.startsWith('aws://') ? node.providerID.split('/').pop() : undefined;
  const id = fromProvider || node.name;
  return INSTANCE_ID.test(id) ? id : undefined;
}

/** What the CSR approver and the cloud node-lifecycle controller ask EC2 (structurally the control plane's InstanceVerifier). */
export interface Ec2InstanceVerifier {
  isRunningNode(nodeName: string, addresses?: readonly string[]): Promise<boolean>;
  instanceState(node: {
    readonly name: string;
    readonly providerID?: string;
  }): Promise<'exists' | 'gone' | 'unknown'>;
}

/**
 * Answers from DescribeInstances with filters (instance id, `tag:tugboat:cluster=<cluster>`,
 * state running): a node name is a running node of the cluster only when such an instance
 * exists, and when `addresses` are given each is one of its private or public IPs. An instance
 * of another cluster, a stopped or terminated one, or a name that is no instance id is not.
 */
export function ec2InstanceVerifier(
  ec2: Pick<Ec2Api, 'describeInstances'>,
  cluster: string,
): Ec2InstanceVerifier {
  const byId = (id: string, running: boolean): Promise<Ec2Instance[]> =>
    ec2.describeInstances([
      { name: 'instance-id', values: [id] },
      ...(running
        ? [
            { name: 'tag:tugboat:cluster', values: [cluster] },
            { name: 'instance-state-name', values: ['running'] },
          ]
        : []),
    ]);
  return {
    async isRunningNode(nodeName, addresses = []) {
      if (!INSTANCE_ID.test(nodeName)) return false;
      const found = (await byId(nodeName, true)).find(
        (i) => i.id === nodeName && i.state === 'running' && i.tags['tugboat:cluster'] === cluster,
      );
      return !!found && addresses.every((a) => a === found.privateIp || a === found.publicIp);
    },
    async instanceState(node) {
      const id = instanceIdOfNode(node);
      if (!id) return 'unknown';
      const found = (await byId(id, false)).filter((i) => i.id === id);
      if (found.length === 0) return 'gone';
      return found.every((i) => GONE_STATES.has(i.state)) ? 'gone' : 'exists';
    },
  };
}
