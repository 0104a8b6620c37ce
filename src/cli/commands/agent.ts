import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { noOutputForm } from '../support/output-forms.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat agent`, as commander parses them (all optional: a config file may set them). */
export interface AgentFlags {
  readonly config?: string;
  readonly server?: string;
  readonly failoverServer?: string[];
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly tokenFile?: string;
  readonly bootstrapTokenFile?: string;
  readonly insecureLoopback?: boolean;
  readonly nodeName?: string;
  readonly internalIp?: string;
  readonly externalIp?: string;
  readonly zone?: string;
  readonly region?: string;
  readonly instanceType?: string;
  readonly group?: string;
  readonly labels?: string;
  readonly taint?: string[];
  readonly runtime?: 'docker' | 'process';
  readonly dataDir?: string;
  readonly listen?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly clientCaFile?: string;
  readonly imds?: 'auto' | 'on' | 'off';
  readonly eipCluster?: string;
  readonly rotateServerCertificates?: boolean;
  readonly eipPool?: string;
  readonly serviceProxy?: 'off' | 'iptables' | 'userspace';
  readonly clusterCidr?: string;
  readonly podNetwork?: boolean;
  readonly sandboxImage?: string;
}

/** `tugboat agent`: run the node agent in the foreground (what tugboat installs on every node). */
export const agentCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('agent')
      .description(
        'run the node agent: register this node, keep its lease, run its pods (installed on every node)',
      )
      .option('-c, --config <file>', 'YAML config file (flags override it)')
      .option('--server <url>', 'API server URL, e.g. https://10.0.0.5:6443')
      .option(
        '--failover-server <url>',
        "another master's API server URL, tried in turn when --server cannot be reached (repeatable)",
        (v: string, all: string[] = []) => [...all, v],
      )
      .option('--ca-file <file>', 'CA that signs the API server certificate')
      .option('--cert-file <file>', "this node's client certificate (CN node:<name>)")
      .option('--key-file <file>', 'key of --cert-file')
      .option('--token-file <file>', 'bearer token file (instead of a client certificate)')
      .option(
        '--bootstrap-token-file <file>',
        'bootstrap token file: with no usable --cert-file/--key-file, request them with a CSR (needs --ca-file)',
      )
      .option('--insecure-loopback', 'allow http:// to a loopback API server (tests only)')
      .option('--node-name <name>', 'node name (default: EC2 instance id on EC2, else the hostname)')
      .option('--internal-ip <ip>', 'InternalIP address of the node')
      .option('--external-ip <ip>', 'ExternalIP address of the node')
      .option('--zone <zone>', 'topology.kubernetes.io/zone label')
      .option('--region <region>', 'topology.kubernetes.io/region label')
      .option('--instance-type <type>', 'node.kubernetes.io/instance-type label')
      .option('--group <name>', 'tugboat.dev/group label (the worker group)')
      .option('--labels <k=v,...>', 'extra node labels')
      .option(
        '--taint <key=value:Effect>',
        'taint to register with (repeatable)',
        (v: string, all: string[] = []) => [...all, v],
      )
      .addOption(new Option('--runtime <name>', 'container runtime').choices(['docker', 'process']))
      .option('--data-dir <dir>', 'pod volumes and state (default /var/lib/tugboat/agent)')
      .option('--listen <host:port>', 'logs/exec server address (default 0.0.0.0:10250)')
      .option('--tls-cert-file <file>', 'serving certificate of the logs/exec server')
      .option('--tls-key-file <file>', 'key of --tls-cert-file')
      .option('--client-ca-file <file>', 'CA of the API server client certificate allowed to call logs/exec')
      .option(
        '--rotate-server-certificates',
        'with no usable --tls-cert-file for this node, request one by CSR (kubelet-serving) once the Node is registered',
      )
      .addOption(
        new Option('--imds <mode>', 'read the identity from EC2 IMDSv2').choices(['auto', 'on', 'off']),
      )
      .option('--eip-cluster <name>', 'claim an Elastic IP of this cluster (with --eip-pool)')
      .option('--eip-pool <pool>', 'tugboat:pool tag value to claim from (workers or a group name)')
      .addOption(
        new Option(
          '--service-proxy <mode>',
          "route Services with this host's iptables, or serve node ports from user space (default off)",
        ).choices(['off', 'iptables', 'userspace']),
      )
      .option('--cluster-cidr <cidr>', 'pod range: traffic from outside it to a cluster IP is masqueraded')
      .option(
        '--pod-network',
        'run the pod network in --cluster-cidr (docker runtime: sandbox per pod, VXLAN)',
      )
      .option(
        '--sandbox-image <image>',
        'pod network: image of the pod sandboxes (default tugboat.local/pause:1, built on the node)',
      );
    cmd.action(
      run(async (io, globals) => {
        if (globals.output !== 'text')
          throw new UsageError(noOutputForm('agent', 'runs the node agent until stopped', 'kubelet'));
        const { runAgent } = await import('./agent-run.js');
        return runAgent(io, globals, cmd.opts<AgentFlags>());
      }),
    );
  },
};
