import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate with its key. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throwaway cluster CA for tests, made with the openssl CLI (P-256 keys, fast). */
export interface TestPki {
  readonly dir: string;
  readonly ca: TestCert;
  /** Serving certificate for 127.0.0.1 / localhost. */
  readonly server: TestCert;
  /** Issues a client certificate with CN = `user` and one O per group. */
  client(user: string, groups: readonly string[]): TestCert;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', [...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

let serial = 1;

function issue(dir: string, name: string, subject: string, ca: TestCert | undefined, ext: string): TestCert {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  if (!ca) {
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        keyFile,
        '-subj',
        subject,
        '-days',
        '2',
        '-out',
        certFile,
        '-extensions',
        'v3',
        '-config',
        extFile,
      ],
      dir,
    );
  } else {
    const csr = join(dir, `${name}.csr`);
    openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-out', csr], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.certFile,
        '-CAkey',
        ca.keyFile,
        '-set_serial',
        String(serial++),
        '-days',
        '2',
        '-out',
        certFile,
        '-extfile',
        extFile,
        '-extensions',
        'v3',
      ],
      dir,
    );
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** Makes a CA, a serving certificate for loopback and a client-certificate factory in a temp dir. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-pki-${process.pid}-`));
  const caExt =
    '[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
  const ca = issue(dir, 'ca', '/CN=tugboat-test-ca', undefined, caExt);
  const server = issue(
    dir,
    'server',
    '/CN=tugboat-apiserver',
    ca,
    '[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  let n = 0;
  return {
    dir,
    ca,
    server,
    client(user, groups) {
      const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${user}`;
      return issue(
        dir,
        `client-${n++}`,
        subject,
        ca,
        '[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
      );
    },
  };
}
