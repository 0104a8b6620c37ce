import { createHash } from 'node:crypto';
import { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { KubeObject } from '../kube/index.js';
import { buildCsrPem } from '../pki/csr.js';
import { generateKeyPair, privateKeyToPem, writeKeyFile } from '../pki/pem.js';
import { sleep } from '../timing.js';

/** Options of {@link requestNodeClientCertificate}. */
export interface TlsBootstrapOptions {
  /** API server URL. */
  readonly server: string;
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

/**
 * Kubelet TLS bootstrapping, first step: a key generated here (it never leaves the host), a
 * CSR for `system:node:<name>` / `system:nodes` sent with the bootstrap token, then the issued
 * certificate waited for and written with the key, both 0600. Denied or Failed requests throw
 * with the condition's message; so does the timeout (an admin may still approve by hand).
 */
export async function requestNodeClientCertificate(options: TlsBootstrapOptions): Promise<string> {
  const { privateKey } = generateKeyPair();
  const request = buildCsrPem(privateKey, {
    commonName: `system:node:${options.nodeName}`,
    organizations: ['system:nodes'],
  });
  const client = new KubeClient({ server: options.server, ca: options.ca, token: options.token });
  try {
    // Named after the key, as kubelet names its requests, so a retry finds its own CSR.
    const name = `node-csr-${createHash('sha256').update(request).digest('hex').slice(0, 20)}`;
    await client.create(resources.certificateSigningRequests, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: {
        request: Buffer.from(request).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'client auth'],
      },
    } as KubeObject);
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    while (Date.now() < deadline) {
      const csr = await client.get<Csr>(resources.certificateSigningRequests, name);
      const refused = csr.status?.conditions?.find((c) => c.type === 'Denied' || c.type === 'Failed');
      if (refused)
        throw new Error(
          `certificate request ${name} was ${refused.type?.toLowerCase()}: ${refused.message ?? ''}`,
        );
      if (csr.status?.certificate) {
        const pem = Buffer.from(csr.status.certificate, 'base64').toString();
        writeKeyFile(options.keyFile, privateKeyToPem(privateKey));
        writeKeyFile(options.certFile, pem);
        return pem;
      }
      await sleep(options.pollMs ?? 1_000);
    }
    throw new Error(
      `certificate request ${name} was not approved in time: approve it with kubectl certificate approve ${name}`,
    );
  } finally {
    client.close();
  }
}
