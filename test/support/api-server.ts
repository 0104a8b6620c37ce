import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiServer, type ApiServerOptions, buildApiServer } from '../../src/control-plane/api/server.js';
import { createStore } from '../../src/control-plane/store/index.js';
import type { Store } from '../../src/control-plane/store/types.js';
import type { TestCert, TestPki } from './certs.js';

/** An API server listening on a free loopback port. */
export interface RunningApiServer {
  readonly api: ApiServer;
  readonly store: Store;
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Builds and starts an API server on 127.0.0.1 (port chosen by the kernel), on the given store or
 * on a fresh embedded store in a temp dir that `stop()` removes.
 */
export async function startApiServer(options: Partial<ApiServerOptions> = {}): Promise<RunningApiServer> {
  const dataDir = options.store
    ? undefined
    : mkdtempSync(join(tmpdir(), `tugboat-api-store-${process.pid}-`));
  const store = options.store ?? (await createStore({ kind: 'embedded', dataDir: dataDir! }));
  const api = buildApiServer({ insecureLoopbackHttp: !options.tls, ...options, store });
  await api.ready;
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  const port = (api.server.address() as AddressInfo).port;
  return {
    api,
    store,
    port,
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    async stop() {
      await api.close();
      if (dataDir) {
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * An API server over TLS with the test PKI that reaches agents (logs, exec, port-forward, node
 * proxy, metrics) with the `tugboat-apiserver` client certificate, the agents' default allowed CN.
 */
export function startAgentFacingApiServer(
  pki: TestPki,
  options: Partial<ApiServerOptions> = {},
): Promise<RunningApiServer> {
  const proxy = pki.client('tugboat-apiserver', ['tugboat:apiservers']);
  return startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    nodeProxy: { tls: { cert: proxy.cert, key: proxy.key, ca: pki.ca.cert } },
    ...options,
  });
}

/** Writes a kubeconfig for `url` that authenticates with `client` and trusts the test CA. */
export function writeKubeconfig(
  pki: TestPki,
  url: string,
  client: TestCert,
  file = join(pki.dir, 'kubeconfig'),
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${url}
    certificate-authority-data: ${b64(pki.ca.cert)}
users:
- name: admin
  user:
    client-certificate-data: ${b64(client.cert)}
    client-key-data: ${b64(client.key)}
contexts:
- name: test
  context:
    cluster: test
    user: admin
current-context: test
`,
  );
  return file;
}
