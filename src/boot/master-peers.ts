import type { Ec2Api } from '../aws/ec2.js';
import { clusterFilter, ROLE_TAG, tagFilter } from '../aws/types.js';
import type { EtcdMember } from '../bootstrap/etcd-install.js';

/**
 * The other masters of a cluster as etcd members, from EC2: instances tagged with the cluster
 * and `tugboat:role=master`, `pending` or `running` (a terminated or stopping master is the one
 * being replaced, not a peer), other than `self`, each named by its instance id and dialled on
 * its private address — the names and addresses SSH bootstrap gives the members. Sorted by
 * instance id, so every master sees the same order. An instance without a private address yet
 * (just launched) is left out: it is not a member either.
 */
export async function findOtherMasters(
  ec2: Pick<Ec2Api, 'describeInstances'>,
  cluster: string,
  self: string,
): Promise<EtcdMember[]> {
  const instances = await ec2.describeInstances([
    clusterFilter(cluster),
    tagFilter(ROLE_TAG, 'master'),
    { name: 'instance-state-name', values: ['pending', 'running'] },
  ]);
  return instances
    .filter((i) => i.id !== self && i.privateIp)
    .map((i) => ({ name: i.id, address: i.privateIp! }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
