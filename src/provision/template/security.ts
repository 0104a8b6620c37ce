import type { ClusterSpec } from '../../config/types.js';
import { AGENT_PORT, API_PORT, ETCD_PORTS, IDS, NODE_PORT_RANGE, VXLAN_PORT } from './names.js';
import { buildTags } from './tags.js';
import { type CfnResource, ref } from './types.js';

const cidrRule = (port: number, cidr: string, description: string) => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  CidrIp: cidr,
  Description: description,
});

function groupRule(
  target: string,
  source: string,
  protocol: string,
  from: number,
  to: number,
  description: string,
): CfnResource {
  return {
    Type: 'AWS::EC2::SecurityGroupIngress',
    Properties: {
      GroupId: ref(target),
      SourceSecurityGroupId: ref(source),
      IpProtocol: protocol,
      FromPort: from,
      ToPort: to,
      Description: description,
    },
  };
}

/**
 * Three security groups. Node (every instance): SSH from ssh.allowedCidrs, node-to-node TCP on
 * every port except the agent port, ICMP, and UDP only for the pod network (VXLAN 8472) and node ports. Master: the API from api.allowedCidrs and from the nodes.
 * Worker: the agent port from the master only. With `store: etcd`, etcd's client and peer ports
 * pass only between masters (the node-to-node rule leaves them out). Rules between groups are separate resources so the
 * groups do not reference each other in a cycle. No 0.0.0.0/0 ingress unless the spec lists it.
 */
export function buildSecurity(spec: ClusterSpec, vpcId: unknown): Record<string, CfnResource> {
  const node = IDS.nodeSecurityGroup;
  const master = IDS.masterSecurityGroup;
  const worker = IDS.workerSecurityGroup;
  return {
    [node]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `tugboat ${spec.name}: every node (ssh, node-to-node)`,
        VpcId: vpcId,
        SecurityGroupIngress: spec.ssh.allowedCidrs.map((c) => cidrRule(22, c, 'ssh from ssh.allowedCidrs')),
        Tags: buildTags(spec, { role: 'cluster', name: 'nodes' }),
      },
    },
    [master]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `tugboat ${spec.name}: master (api)`,
        VpcId: vpcId,
        SecurityGroupIngress: spec.api.allowedCidrs.map((c) =>
          cidrRule(API_PORT, c, 'api from api.allowedCidrs'),
        ),
        Tags: buildTags(spec, { role: 'master', name: 'master' }),
      },
    },
    [worker]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `tugboat ${spec.name}: workers (agent)`,
        VpcId: vpcId,
        Tags: buildTags(spec, { role: 'worker', name: 'workers' }),
      },
    },
    ...nodeTcpBelowAgent(spec),
    NodeIngressTcpAboveAgent: groupRule(
      node,
      node,
      'tcp',
      AGENT_PORT + 1,
      65535,
      'node-to-node tcp above the agent port',
    ),
    // Pod traffic between nodes travels inside VXLAN (UDP 8472), so only that and the UDP node
    // ports of Services need to pass between the nodes, not every UDP port.
    NodeIngressVxlan: groupRule(
      node,
      node,
      'udp',
      VXLAN_PORT,
      VXLAN_PORT,
      'pod network (vxlan) between the nodes',
    ),
    NodeIngressUdpNodePorts: groupRule(
      node,
      node,
      'udp',
      NODE_PORT_RANGE.from,
      NODE_PORT_RANGE.to,
      'udp node ports between the nodes',
    ),
    NodeIngressIcmp: groupRule(node, node, 'icmp', -1, -1, 'node-to-node icmp'),
    ...etcdRules(spec),
    MasterIngressApiFromNodes: groupRule(master, node, 'tcp', API_PORT, API_PORT, 'api from the nodes'),
    WorkerIngressAgentFromMaster: groupRule(
      worker,
      master,
      'tcp',
      AGENT_PORT,
      AGENT_PORT,
      'agent from the master only',
    ),
  };
}

/**
 * Node-to-node TCP below the agent port; with etcd on the masters, without etcd's two ports, so a
 * worker (or a pod on one) cannot even open a connection to etcd.
 */
function nodeTcpBelowAgent(spec: ClusterSpec): Record<string, CfnResource> {
  const node = IDS.nodeSecurityGroup;
  if (spec.store !== 'etcd') {
    return {
      NodeIngressTcpBelowAgent: groupRule(
        node,
        node,
        'tcp',
        0,
        AGENT_PORT - 1,
        'node-to-node tcp below the agent port',
      ),
    };
  }
  return {
    NodeIngressTcpBelowEtcd: groupRule(
      node,
      node,
      'tcp',
      0,
      ETCD_PORTS.client - 1,
      'node-to-node tcp below the etcd ports',
    ),
    NodeIngressTcpEtcdToAgent: groupRule(
      node,
      node,
      'tcp',
      ETCD_PORTS.peer + 1,
      AGENT_PORT - 1,
      'node-to-node tcp between the etcd ports and the agent port',
    ),
  };
}

/** etcd's client port (API servers) and peer port (members), from the masters only. */
function etcdRules(spec: ClusterSpec): Record<string, CfnResource> {
  if (spec.store !== 'etcd') return {};
  const master = IDS.masterSecurityGroup;
  const { client, peer } = ETCD_PORTS;
  return {
    MasterIngressEtcdClient: groupRule(master, master, 'tcp', client, client, 'etcd clients: masters only'),
    MasterIngressEtcdPeer: groupRule(master, master, 'tcp', peer, peer, 'etcd peers: masters only'),
  };
}
