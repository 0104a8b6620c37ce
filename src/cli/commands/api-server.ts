// The command is `tugboat control-plane`; the file avoids that name so the cold-start test can
// tell it apart from the (heavy) src/control-plane modules it must not load for --help.
import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { noOutputForm } from '../support/output-forms.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat control-plane`, as commander parses them. */
export interface ControlPlaneFlags {
  readonly dataDir: string;
  readonly store: 'embedded' | 'etcd';
  readonly etcdEndpoints?: string;
  readonly etcdCafile?: string;
  readonly etcdCertfile?: string;
  readonly etcdKeyfile?: string;
  readonly etcdEndpointSyncInterval?: string;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  readonly clientCaFile?: string;
  readonly tokenAuthFile?: string;
  readonly kubeletClientCertificate?: string;
  readonly kubeletClientKey?: string;
  readonly metricResolution?: string;
  readonly clusterSigningCertFile?: string;
  readonly clusterSigningKeyFile?: string;
  readonly joinTokenFile?: string;
  readonly cloudProvider?: 'aws';
  readonly clusterName?: string;
  readonly cloudRegion?: string;
  readonly listen: string;
  readonly insecureLoopbackHttp: boolean;
  /** False with --no-controllers. */
  readonly controllers: boolean;
  readonly nodeMonitorGracePeriod?: string;
  readonly podEvictionTimeout?: string;
  readonly horizontalPodAutoscalerSyncPeriod?: string;
  readonly horizontalPodAutoscalerDownscaleStabilization?: string;
  readonly clusterCidr?: string;
  readonly nodeCidrMaskSize?: string;
  readonly serviceClusterIpRange?: string;
  readonly advertiseAddress?: string;
  readonly stateBucket?: string;
  readonly statePrefix?: string;
  readonly backupSchedule?: string;
  readonly backupRetain?: string;
  readonly serviceAccountSigningKeyFile?: string;
  readonly serviceAccountKeyFile?: string;
  readonly serviceAccountIssuer?: string;
  readonly apiAudiences?: string;
}

/** `tugboat control-plane`: run the Kubernetes-compatible API server in the foreground. */
export const controlPlaneCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('control-plane')
      .description('run the Kubernetes-compatible API server (what tugboat installs on the master)')
      .option('--data-dir <dir>', 'data directory of the embedded store', '/var/lib/tugboat/control-plane')
      .addOption(
        new Option('--store <kind>', 'where objects live').choices(['embedded', 'etcd']).default('embedded'),
      )
      .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (with --store etcd)')
      .option('--etcd-cafile <file>', 'CA that signed the etcd members (with https:// endpoints)')
      .option('--etcd-certfile <file>', 'client certificate for etcd (--client-cert-auth)')
      .option('--etcd-keyfile <file>', 'key of --etcd-certfile')
      .option(
        '--etcd-endpoint-sync-interval <seconds>',
        "how often to replace --etcd-endpoints with the members' client URLs that etcd lists; 0 never (default 60)",
      )
      .option('--tls-cert-file <file>', 'serving certificate (PEM)')
      .option('--tls-private-key-file <file>', 'serving private key (PEM)')
      .option('--client-ca-file <file>', 'CA that signs client certificates (CN = user, O = groups)')
      .option('--token-auth-file <file>', 'bearer tokens: token,user,uid,"group1,group2" per line')
      .option(
        '--kubelet-client-certificate <file>',
        'client certificate presented to node agents (logs, exec)',
      )
      .option('--kubelet-client-key <file>', 'key of --kubelet-client-certificate')
      .option(
        '--metric-resolution <seconds>',
        'how often to scrape the agents for kubectl top (with the kubelet client certificate; default 15)',
      )
      .option(
        '--cluster-signing-cert-file <file>',
        'CA certificate the CSR signer issues node certificates with',
      )
      .option('--cluster-signing-key-file <file>', 'key of --cluster-signing-cert-file')
      .option(
        '--join-token-file <file>',
        "the cluster's join token (<id>.<secret>): its bootstrap token Secret is kept in kube-system",
      )
      .addOption(
        new Option(
          '--cloud-provider <name>',
          'approve node certificates for running instances of --cluster-name and delete Nodes whose instance is gone',
        ).choices(['aws']),
      )
      .option('--cluster-name <name>', 'with --cloud-provider: the tugboat:cluster tag of its instances')
      .option('--cloud-region <region>', 'with --cloud-provider: the cluster region (default $AWS_REGION)')
      .option('--listen <host:port>', 'address to listen on', '0.0.0.0:6443')
      .option(
        '--insecure-loopback-http',
        'plain HTTP on loopback where every caller is admin (tests only)',
        false,
      )
      .option('--no-controllers', 'run the API server only, without the scheduler and controllers')
      .option(
        '--node-monitor-grace-period <seconds>',
        'a node whose lease is this old becomes NotReady (default 40)',
      )
      .option('--pod-eviction-timeout <seconds>', 'pods leave a NotReady node after this long (default 60)')
      .option(
        '--horizontal-pod-autoscaler-sync-period <duration>',
        'how often each HorizontalPodAutoscaler is evaluated (Go duration; default 15s)',
      )
      .option(
        '--horizontal-pod-autoscaler-downscale-stabilization <duration>',
        'scale-down window of autoscalers whose behavior sets none (Go duration, 0s allowed; default 5m0s)',
      )
      .option(
        '--cluster-cidr <cidr>',
        'pod range: each node gets a block of it in spec.podCIDR (default: none)',
      )
      .option('--node-cidr-mask-size <prefix>', 'prefix of each node block of --cluster-cidr (default 24)')
      .option(
        '--service-cluster-ip-range <cidr>',
        'where Services get their cluster IPs; the first one is the kubernetes Service (default 10.96.0.0/12)',
      )
      .option(
        '--state-bucket <bucket>',
        'ship the embedded store to this S3 bucket and restore an empty --data-dir from it; with --store etcd, only where --backup-schedule puts backups (region, endpoint, credentials from the AWS environment)',
      )
      .option('--state-prefix <prefix>', "key prefix in --state-bucket (the cluster's prefix)")
      .option(
        '--backup-schedule <cron>',
        'with --state-bucket: take a backup on this five-field UTC cron schedule (or @daily...) while this master holds the store (with --store etcd: while it leads the controllers)',
      )
      .option('--backup-retain <n>', 'backups kept by --backup-schedule (default 7)')
      .option(
        '--advertise-address <ip>',
        'address the kubernetes Service points at (default: the --listen address, else the first IPv4 address)',
      )
      .option(
        '--service-account-signing-key-file <file>',
        'private key (PEM) that signs service-account tokens; turns on TokenRequest and token volumes',
      )
      .option(
        '--service-account-key-file <files>',
        'comma-separated PEM keys that also verify tokens (e.g. the previous key during a rotation)',
      )
      .option(
        '--service-account-issuer <url>',
        'iss of issued tokens (default https://kubernetes.default.svc.cluster.local)',
      )
      .option('--api-audiences <list>', 'comma-separated audiences the API accepts (default: the issuer)');
    cmd.action(
      run(async (io, globals) => {
        if (globals.output !== 'text')
          throw new UsageError(
            noOutputForm('control-plane', 'runs the control plane until stopped', 'kube-apiserver'),
          );
        const { runControlPlane } = await import('./api-server-run.js');
        return runControlPlane(io, globals, cmd.opts<ControlPlaneFlags>());
      }),
    );
  },
};
