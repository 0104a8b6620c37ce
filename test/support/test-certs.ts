import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate and its key. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

/** A throwaway CA and the certificates it issued, made with the openssl CLI. */
export interface TestPki {
  readonly ca: TestCert;
  /** Issues a certificate; `serverIp` adds a subjectAltName IP for TLS servers. */
  issue(cn: string, options?: { serverIp?: string; dns?: string }): TestCert;
  dispose(): void;
}

export function createTestPki(name = 'test-ca'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-pki-${process.pid}-`));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run(['req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${name}`, '-days', '2', '-out', 'ca.crt']);
  let serial = 1;
  return {
    ca: { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') },
    issue(cn, options = {}) {
      const id = `c${serial++}`;
      run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${id}.key`]);
      run(['req', '-new', '-key', `${id}.key`, '-subj', `/CN=${cn}`, '-out', `${id}.csr`]);
      const sans = [options.serverIp ? `IP:${options.serverIp}` : '', options.dns ? `DNS:${options.dns}` : '']
        .filter(Boolean)
        .join(',');
      const usage = options.serverIp || options.dns ? 'serverAuth' : 'clientAuth';
      writeFileSync(
        join(dir, `${id}.ext`),
        `${sans ? `subjectAltName=${sans}\n` : ''}extendedKeyUsage=${usage}\n`,
      );
      run([
        'x509',
        '-req',
        '-in',
        `${id}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${id}.ext`,
        '-out',
        `${id}.crt`,
      ]);
      return {
        cert: readFileSync(join(dir, `${id}.crt`), 'utf8'),
        key: readFileSync(join(dir, `${id}.key`), 'utf8'),
      };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
