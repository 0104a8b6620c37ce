import { createHash } from 'node:crypto';
import { KubeClient } from '../client/client.js';
import { FAILOVER_CODES } from '../client/transport.js';
import { resources } from '../client/types.js';
import type { KubeObject } from '../kube/index.js';
import { buildCsrPem } from '../pki/csr.js';
import { generateKeyPair, privateKeyToPem, writeKeyFile } from '../pki/pem.js';
import { sleep } from '../timing.js';

/** Options of {@link requestNodeClientCertificate}. */
export interface TlsBootstrapOptions {
  /** API server URL. */
  readonly server: string;
  /**
   * Further API servers (the other masters), tried in turn when one cannot be connected to or its
   * certificate fails verification against `ca` (the KubeClient's failover). @default none
   */
  readonly failoverServers?: readonly string[];
  /** Cluster CA (PEM) the API server's certificate is checked against. */
  readonly ca: string;
  /** Bootstrap token `<id>.<secret>`. A secret: never logged. */
  readonly token: string;
  readonly nodeName: string;
  /** Where the certificate and key are written (0600). */
  readonly certFile: string;
  readonly keyFile: string;
  /** Give up after this long without a certificate. @default 300_000 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly pollMs?: number;
}

type Csr = KubeObject & {
  status?: { certificate?: string; conditions?: { type?: string; message?: string }[] };
};

/** What a node asks the CSR API for: its client identity (with the bootstrap token) or its serving certificate. */
interface NodeCsrRequest {
  readonly nodeName: string;
  readonly signerName: string;
  readonly usages: readonly string[];
  /** SANs of a serving certificate. @default none */
  readonly altNames?: readonly string[];
  readonly certFile: string;
  readonly keyFile: string;
  /** @default 300_000 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly pollMs?: number;
  /** Stop waiting (the agent is stopping). @default never */
  readonly signal?: AbortSignal;
}

/**
 * A key generated here (it never leaves the host), a CSR for `system:node:<name>` /
 * `system:nodes` for `signerName`, then the issued certificate waited for and written with the
 * key, key first, both 0600. Denied or Failed requests throw with the condition's message; so
 * does the timeout (an admin may still approve by hand).
 */
async function requestNodeCertificate(
  connection: ConstructorParameters<typeof KubeClient>[0],
  r: NodeCsrRequest,
): Promise<string> {
  const client = new KubeClient(connection);
  try {
    return await submitAndWait(client, r);
  } catch (err) {
    throw unreachable(err, client.transport.servers) ?? err;
  } finally {
    client.close();
  }
}

/**
 * The error to throw when no API server could be reached (every one was tried once: the
 * transport fails over only on connection and certificate-verification errors), naming them
 * all; undefined for any other error.
 */
function unreachable(err: unknown, servers: readonly string[]): Error | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (!code || !FAILOVER_CODES.has(code)) return undefined;
  const e: NodeJS.ErrnoException = new Error(
    `no API server could be reached for the certificate request (tried ${servers.join(', ')}): ${(err as Error).message}`,
    { cause: err },
  );
  e.code = code;
  return e;
}

async function submitAndWait(client: KubeClient, r: NodeCsrRequest): Promise<string> {
  const { privateKey } = generateKeyPair();
  const request = buildCsrPem(
    privateKey,
    { commonName: `system:node:${r.nodeName}`, organizations: ['system:nodes'] },
    r.altNames ?? [],
  );
  // Named after the key, as kubelet names its requests, so a retry finds its own CSR.
  const name = `node-csr-${createHash('sha256').update(request).digest('hex').slice(0, 20)}`;
  await client.create(resources.certificateSigningRequests, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(request).toString('base64'),
      signerName: r.signerName,
      usages: [...r.usages],
    },
  } as KubeObject);
  const deadline = Date.now() + (r.timeoutMs ?? 300_000);
  while (Date.now() < deadline && !r.signal?.aborted) {
    const csr = await client.get<Csr>(resources.certificateSigningRequests, name);
    const refused = csr.status?.conditions?.find((c) => c.type === 'Denied' || c.type === 'Failed');
    if (refused)
      throw new Error(
        `certificate request ${name} was ${refused.type?.toLowerCase()}: ${refused.message ?? ''}`,
      );
    if (csr.status?.certificate) {
      const pem = Buffer.from(csr.status.certificate, 'base64').toString();
      writeKeyFile(r.keyFile, privateKeyToPem(privateKey));
      writeKeyFile(r.certFile, pem);
      return pem;
    }
    await sleep(r.pollMs ?? 1_000, r.signal).catch(() => undefined);
  }
  throw new Error(
    r.signal?.aborted
      ? `stopped waiting for certificate request ${name}`
      : `certificate request ${name} was not approved in time: approve it with kubectl certificate approve ${name}`,
  );
}

/**
 * Kubelet TLS bootstrapping, first step: the node's client certificate (`kubernetes.io/kube-apiserver-client-kubelet`),
 * requested with the bootstrap token. See {@link requestNodeCertificate}.
 */
export async function requestNodeClientCertificate(options: TlsBootstrapOptions): Promise<string> {
  const { server, failoverServers, ca, token, ...rest } = options;
  return requestNodeCertificate(
    { server, failoverServers, ca, token },
    {
      ...rest,
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'client auth'],
    },
  );
}

/** Options of {@link requestNodeServingCertificate}. */
export interface ServingBootstrapOptions {
  readonly server: string;
  /** Further API servers, tried in turn as in {@link TlsBootstrapOptions.failoverServers}. @default none */
  readonly failoverServers?: readonly string[];
  readonly ca: string;
  /** The node's own client certificate and key (PEM): the request is the node's, as upstream's approver requires. */
  readonly clientCert: string;
  readonly clientKey: string;
  readonly nodeName: string;
  /** The node's addresses (its Node status): the certificate's SANs. */
  readonly addresses: readonly string[];
  readonly certFile: string;
  readonly keyFile: string;
  /** @default 300_000 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Kubelet's `serverTLSBootstrap`: the logs/exec server's certificate (`kubernetes.io/kubelet-serving`,
 * SANs = the node's addresses), requested as the node itself once its Node is registered.
 */
export async function requestNodeServingCertificate(options: ServingBootstrapOptions): Promise<string> {
  const { server, failoverServers, ca, clientCert, clientKey, addresses, ...rest } = options;
  return requestNodeCertificate(
    { server, failoverServers, ca, cert: clientCert, key: clientKey },
    {
      ...rest,
      signerName: 'kubernetes.io/kubelet-serving',
      usages: ['digital signature', 'server auth'],
      altNames: addresses,
    },
  );
}
