import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlaneOptions } from '../../src/control-plane/main.js';
import type { TestPki } from './certs.js';

/** Writes `text` to `dir/name` (0600; `dir` made when missing) and returns the path. */
export function writeTestFile(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/**
 * `startControlPlane` options of a TLS control plane on a free loopback port whose client CA is
 * also the cluster signing CA (the CSR approver and signer run), its files written under `dir`.
 */
export function signingControlPlaneOptions(dir: string, pki: TestPki): ControlPlaneOptions {
  return {
    dataDir: join(dir, 'data'),
    listen: '127.0.0.1:0',
    tlsCertFile: writeTestFile(dir, 'apiserver.crt', pki.server.cert),
    tlsPrivateKeyFile: writeTestFile(dir, 'apiserver.key', pki.server.key),
    clientCaFile: writeTestFile(dir, 'ca.crt', pki.ca.cert),
    clusterSigningCertFile: join(dir, 'ca.crt'),
    clusterSigningKeyFile: writeTestFile(dir, 'ca.key', pki.ca.key),
  };
}
