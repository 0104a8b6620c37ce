import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError, UsageError } from '../errors.js';
import type { Taint } from '../kube/index.js';
import { PAUSE_IMAGE } from './runtime/pause-image.js';

/** Settings of `tugboat agent`, from a YAML config file and flags (flags win). */
export const agentConfigSchema = z.strictObject({
  /** API server URL, e.g. https://10.0.0.5:6443. */
  server: z.string().url(),
  /** The other masters' API server URLs: the agent moves to the next when its server cannot be reached. */
  failoverServers: z.array(z.string().url()).default([]),
  /** CA bundle that signs the API server's certificate. */
  caFile: z.string().optional(),
  /** The node's client certificate and key (CN node:<name>, O tugboat:nodes). */
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  /** File holding a bearer token (instead of a client certificate). */
  tokenFile: z.string().optional(),
  /**
   * File holding a bootstrap token: with no usable certFile/keyFile yet, the agent asks for its
   * node certificate with a CertificateSigningRequest sent with this token (TLS bootstrapping).
   */
  bootstrapTokenFile: z.string().optional(),
  /** Allow http:// to a loopback API server (tests and `tugboat local`). */
  insecureLoopback: z.boolean().default(false),
  nodeName: z.string().optional(),
  internalIP: z.string().optional(),
  externalIP: z.string().optional(),
  zone: z.string().optional(),
  region: z.string().optional(),
  instanceType: z.string().optional(),
  group: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  /** `key=value:Effect` or `key:Effect`. */
  taints: z.array(z.string()).default([]),
  runtime: z.enum(['docker', 'process']).default('docker'),
  dataDir: z.string().default('/var/lib/tugboat/agent'),
  /** Address of the logs/exec server. */
  listen: z.string().default('0.0.0.0:10250'),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  /** CA whose client certificates may call the logs/exec server. */
  clientCaFile: z.string().optional(),
  allowedClients: z.array(z.string()).default(['tugboat-apiserver']),
  /**
   * Kubelet's serverTLSBootstrap (`--rotate-server-certificates`): when tlsCertFile/tlsKeyFile hold
   * no usable certificate for this node's addresses, request one (`kubernetes.io/kubelet-serving`)
   * with the node's client certificate once the Node is registered, and serve with it from then on.
   */
  serverTlsBootstrap: z.boolean().default(false),
  /** Read the node identity from IMDSv2: auto = when running on EC2. */
  imds: z.enum(['auto', 'on', 'off']).default('auto'),
  imdsEndpoint: z.string().default('http://169.254.169.254'),
  /**
   * `iptables`: program Services into this host's kernel (kube-proxy's iptables mode, in tugboat's
   * own chains). `userspace`: no kernel rules; node ports (TCP) are listened on at the InternalIP
   * and relayed to ready endpoints (kube-proxy's old userspace mode; the process runtime's choice).
   * Off by default so an agent started by hand or in a test never edits the host's firewall.
   */
  serviceProxy: z.enum(['off', 'iptables', 'userspace']).default('off'),
  /** The pod range; traffic from outside it to a cluster IP is masqueraded (kube-proxy's --cluster-cidr). */
  clusterCidr: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 10.244.0.0/16')
    .optional(),
  /**
   * The pod network (docker runtime; needs clusterCidr): a sandbox per pod on the tugboat bridge
   * with an address of the node's block, VXLAN to the other nodes. Absent: Docker's default bridge.
   */
  podNetwork: z
    .strictObject({
      /** Image of the pod sandboxes; it must keep running doing nothing. */
      sandboxImage: z.string().min(1).default(PAUSE_IMAGE),
      /** Command of the sandbox when the image's own does not just wait (e.g. busybox: sleep). */
      sandboxCommand: z.array(z.string()).min(1).optional(),
      /**
       * The bridge of this agent's pods. Several agents in one network namespace (`tugboat local
       * up`) each need their own; its host ports then go in `TUGBOAT-HP-<BRIDGE>`.
       */
      bridge: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,14}$/, 'must be a lower-case interface name of at most 15 characters')
        .default('tugboat0'),
      /** VXLAN to the other nodes; off when every node runs in this network namespace. */
      vxlan: z.boolean().default(true),
      /**
       * Write the pod network's shared chains (masquerade, forward, localhost guard). Exactly one
       * agent per network namespace may; the others write only their host-port chain.
       */
      sharedRules: z.boolean().default(true),
    })
    .optional(),
  /** Claim an Elastic IP of this cluster's pool at start (EC2 only). */
  eip: z.strictObject({ cluster: z.string(), pool: z.string() }).optional(),
});

/** The validated agent configuration. */
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** Validates a config object; errors name the field path. */
export function parseAgentConfig(input: unknown, file?: string): AgentConfig {
  const result = agentConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      file ? { file } : undefined,
    );
  }
  for (const t of result.data.taints) parseTaint(t);
  const d = result.data;
  if (d.bootstrapTokenFile && !(d.certFile && d.keyFile && d.caFile))
    throw new UsageError(
      'bootstrapTokenFile needs certFile, keyFile (where the issued certificate and key go) and caFile (the API server is checked before the token is sent)',
    );
  return result.data;
}

/** Reads a YAML config file and merges `overrides` (flags) over it. */
export function loadAgentConfig(file: string | undefined, overrides: Record<string, unknown>): AgentConfig {
  let base: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(
        `cannot read agent config ${file} (${(err as NodeJS.ErrnoException).code}): check the path`,
      );
    }
    base = (parse(text) as Record<string, unknown> | null) ?? {};
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parseAgentConfig({ ...base, ...defined }, file);
}

/** Parses `key=value:NoSchedule` or `key:NoExecute` into a taint. Pure. */
export function parseTaint(text: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text);
  if (!m) {
    throw new UsageError(
      `invalid taint "${text}": use key=value:Effect or key:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute`,
    );
  }
  return { key: m[1] ?? '', ...(m[2] ? { value: m[2] } : {}), effect: m[3] as Taint['effect'] };
}

/** Parses `a=b,c=d` into labels. Pure. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`invalid label "${pair}": use key=value[,key=value]`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}
