import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_HOST_LAYOUT, installService } from '../../src/bootstrap/index.js';
import {
  issueAgentServingCertificate,
  loadOrCreateClusterPki,
  loadOrCreateNodeCertificate,
  renderKubeconfig,
  writeKeyFile,
} from '../../src/pki/index.js';
import { connectSsh, type SshShell } from '../../src/ssh/index.js';
import type { SimHost } from '../harness/hosts/sim-host.js';

/** A worker host and how its node registers. */
export interface StandInWorker {
  readonly host: SimHost;
  readonly group: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Options for {@link runStandInBootstrap}. */
export interface StandInBootstrapOptions {
  readonly cluster: string;
  /** `~/.tugboat/<cluster>` (SSH key, known_hosts; the PKI goes to `pki/` below it). */
  readonly stateDir: string;
  readonly user: string;
  readonly master: SimHost;
  readonly workers: readonly StandInWorker[];
}

/** What the stand-in set up. */
export interface StandInCluster {
  readonly server: string;
  readonly kubeconfigPath: string;
}

const REPO = resolve('.');
const TUGBOAT = [
  '/usr/bin/node',
  join(REPO, 'node_modules/tsx/dist/cli.mjs'),
  join(REPO, 'test/support/cli-entry.ts'),
];

/**
 * Installs tugboat's control plane on the master and an agent on every worker the way the SSH
 * bootstrap will: tugboat's PKI, certificates under /etc/tugboat, services through tugboat's own
 * `installService` (supervised: no systemd here), over tugboat's SSH layer with pinned host keys.
 * It stands in for `bootstrapCluster` until that lands in the library; the difference is that it
 * runs the sources through tsx instead of uploading the bundle, and writes the certificates
 * straight into the hosts' private /etc/tugboat copies instead of uploading them.
 */
export async function runStandInBootstrap(options: StandInBootstrapOptions): Promise<StandInCluster> {
  const { master, stateDir } = options;
  const pkiDir = join(stateDir, 'pki');
  mkdirSync(join(pkiDir, 'nodes'), { recursive: true, mode: 0o700 });
  const pki = loadOrCreateClusterPki({
    cluster: options.cluster,
    dir: pkiDir,
    apiAltNames: [master.privateIp],
  });
  const server = `https://${master.privateIp}:6443`;
  const etc = (host: SimHost, name: string) => join(host.layout.root, 'etc/tugboat', name);
  const put = (host: SimHost, name: string, text: string, secret = false) =>
    secret ? writeKeyFile(etc(host, name), text) : writeFileSync(etc(host, name), text, { mode: 0o644 });

  put(master, 'ca.crt', pki.ca.certPem);
  put(master, 'apiserver.crt', pki.apiServer.certPem);
  put(master, 'apiserver.key', pki.apiServer.keyPem, true);
  put(master, 'apiserver-client.crt', pki.apiServerClient.certPem);
  put(master, 'apiserver-client.key', pki.apiServerClient.keyPem, true);
  await withShell(options, master, (shell) =>
    installService(
      shell,
      {
        name: 'tugboat-control-plane',
        description: 'tugboat control plane',
        command: [
          ...TUGBOAT,
          'control-plane',
          '--data-dir=/var/lib/tugboat/control-plane',
          '--tls-cert-file=/etc/tugboat/apiserver.crt',
          '--tls-private-key-file=/etc/tugboat/apiserver.key',
          '--client-ca-file=/etc/tugboat/ca.crt',
          '--kubelet-client-certificate=/etc/tugboat/apiserver-client.crt',
          '--kubelet-client-key=/etc/tugboat/apiserver-client.key',
          '--listen=0.0.0.0:6443',
        ],
      },
      { layout: DEFAULT_HOST_LAYOUT, mode: 'supervised' },
    ),
  );

  await Promise.all(
    options.workers.map(async ({ host, group, labels }) => {
      const nodeName = host.instanceId;
      const client = loadOrCreateNodeCertificate(pki, pkiDir, nodeName);
      const serving = issueAgentServingCertificate(pki.ca, { nodeName, altNames: [host.privateIp] });
      put(host, 'ca.crt', pki.ca.certPem);
      put(host, 'node.crt', client.certPem);
      put(host, 'node.key', client.keyPem, true);
      put(host, 'agent-serving.crt', serving.certPem);
      put(host, 'agent-serving.key', serving.keyPem, true);
      const labelArg = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      await withShell(options, host, (shell) =>
        installService(
          shell,
          {
            name: 'tugboat-agent',
            description: 'tugboat node agent',
            command: [
              ...TUGBOAT,
              'agent',
              `--server=${server}`,
              '--ca-file=/etc/tugboat/ca.crt',
              '--cert-file=/etc/tugboat/node.crt',
              '--key-file=/etc/tugboat/node.key',
              `--node-name=${nodeName}`,
              `--internal-ip=${host.privateIp}`,
              `--group=${group}`,
              ...(labelArg ? [`--labels=${labelArg}`] : []),
              '--runtime=docker',
              '--imds=off',
              '--listen=0.0.0.0:10250',
              '--tls-cert-file=/etc/tugboat/agent-serving.crt',
              '--tls-key-file=/etc/tugboat/agent-serving.key',
              '--client-ca-file=/etc/tugboat/ca.crt',
            ],
          },
          { layout: DEFAULT_HOST_LAYOUT, mode: 'supervised' },
        ),
      );
    }),
  );

  const kubeconfigPath = join(stateDir, 'kubeconfig');
  writeKeyFile(
    kubeconfigPath,
    renderKubeconfig({
      cluster: options.cluster,
      server,
      caPem: pki.ca.certPem,
      user: 'admin',
      certPem: pki.admin.certPem,
      keyPem: pki.admin.keyPem,
    }),
  );
  return { server, kubeconfigPath };
}

/** Runs `body` with tugboat's SSH shell on a host (host key checked against the cluster's known_hosts). */
export async function withShell<T>(
  options: Pick<StandInBootstrapOptions, 'stateDir' | 'user'>,
  host: SimHost,
  body: (shell: SshShell) => Promise<T>,
): Promise<T> {
  const shell = await connectSsh({
    host: host.privateIp,
    username: options.user,
    privateKeyPath: join(options.stateDir, 'id_ed25519'),
    hostKeys: { knownHostsPath: join(options.stateDir, 'known_hosts') },
    retry: { attempts: 5 },
  });
  try {
    return await body(shell);
  } finally {
    await shell.close();
  }
}
