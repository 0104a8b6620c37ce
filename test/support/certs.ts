import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueApiServerCertificate, issueClientCertificate } from '../../src/pki/index.js';

/** A PEM certificate with its key. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

/** A throwaway cluster CA for tests (src/pki), with a temp dir for files the test writes. */
export interface TestPki {
  readonly dir: string;
  readonly ca: TestCert;
  /** Serving certificate for 127.0.0.1 / localhost (the API server's, also used by test agents). */
  readonly server: TestCert;
  /** Issues a client certificate with CN = `user` and one O per group. */
  client(user: string, groups: readonly string[]): TestCert;
}

/** Makes a cluster CA, a loopback serving certificate and a client-certificate factory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-api-${process.pid}-`));
  const ca = createCa({ cluster: 'test' });
  const server = issueApiServerCertificate(ca);
  return {
    dir,
    ca: { cert: ca.certPem, key: ca.keyPem },
    server: { cert: server.certPem, key: server.keyPem },
    client(user, groups) {
      const c = issueClientCertificate(ca, { user, groups });
      return { cert: c.certPem, key: c.keyPem };
    },
  };
}
