import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { type CertificateAuthority, loadCa } from '../pki/authority.js';
import type { ServiceAccountTokenOptions } from './api/service-accounts.js';
import { parseBootstrapToken } from './auth/bootstrap-token.js';
import type { ControlPlaneOptions } from './control-plane-options.js';
import { DEFAULT_ISSUER } from './serviceaccounts/claims.js';
import { loadServiceAccountKeys, type ServiceAccountKeys } from './serviceaccounts/keys.js';
import type { EtcdTlsOptions } from './store/index.js';

/** Reads the file a flag names (undefined without the flag); a usage error naming the flag when it cannot be read. */
async function readOptional(file: string | undefined, flag: string): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `${flag} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): check the path and permissions`,
    );
  }
}

/**
 * Reads several optional flag files at once; when more than one cannot be read, the error names the
 * first in argument order (not whichever read failed first), so the message is the same on every run.
 */
export async function readOptionalAll(
  files: readonly (readonly [string | undefined, string])[],
): Promise<(string | undefined)[]> {
  const results = await Promise.allSettled(files.map(([file, flag]) => readOptional(file, flag)));
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

/** The service-account token settings from the --service-account-* flags (undefined: tokens off). */
export async function loadServiceAccountOptions(
  options: ControlPlaneOptions,
  rootCa: string | undefined,
): Promise<ServiceAccountTokenOptions | undefined> {
  const signingFile = options.serviceAccountSigningKeyFile;
  if (!signingFile) {
    if (options.serviceAccountKeyFiles?.length)
      throw new UsageError(
        '--service-account-key-file needs --service-account-signing-key-file: pass the private key that signs tokens',
      );
    return undefined;
  }
  const signing = await readOptional(signingFile, '--service-account-signing-key-file');
  const keyFiles = options.serviceAccountKeyFiles ?? [];
  const pems = await readOptionalAll(keyFiles.map((file) => [file, '--service-account-key-file'] as const));
  const verifying = keyFiles.map((file, i) => ({
    pem: pems[i]!,
    source: `--service-account-key-file ${file}`,
  }));
  let keys: ServiceAccountKeys;
  try {
    keys = loadServiceAccountKeys(
      { pem: signing!, source: `--service-account-signing-key-file ${signingFile}` },
      verifying,
    );
  } catch (err) {
    throw new UsageError(`${(err as Error).message}: generate one with openssl genpkey -algorithm RSA`);
  }
  const issuer = options.serviceAccountIssuer ?? DEFAULT_ISSUER;
  // Verifiers fetch the discovery documents from the issuer URL, so it must be https.
  if (!/^https:\/\/[^/]/.test(issuer))
    throw new UsageError(`--service-account-issuer ${issuer} is not an https URL: e.g. ${DEFAULT_ISSUER}`);
  return { keys, issuer, apiAudiences: options.apiAudiences ?? [issuer], rootCa };
}

/** Checks the etcd endpoint URLs and reads the --etcd-* TLS files; usage errors before any connection. */
export async function loadEtcdTls(
  options: ControlPlaneOptions,
  endpoints: readonly string[],
): Promise<EtcdTlsOptions | undefined> {
  const [ca, cert, key] = await readOptionalAll([
    [options.etcdCaFile, '--etcd-cafile'],
    [options.etcdCertFile, '--etcd-certfile'],
    [options.etcdKeyFile, '--etcd-keyfile'],
  ]);
  for (const endpoint of endpoints) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
      throw new UsageError(
        `--etcd-endpoints: ${JSON.stringify(endpoint)} is not an etcd client URL: use https://HOST:2379`,
      );
  }
  const https = endpoints.some((e) => e.startsWith('https:'));
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--etcd-certfile and --etcd-keyfile go together: give both or neither');
  if (ca === undefined) {
    if (https || cert !== undefined)
      throw new UsageError(
        'https:// etcd endpoints and --etcd-certfile need --etcd-cafile (the CA of the members)',
      );
    return undefined;
  }
  if (!https)
    throw new UsageError('--etcd-cafile is for https:// etcd endpoints: use https:// in --etcd-endpoints');
  return { ca, ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
}

/** The join token from --join-token-file, checked; undefined without the flag. */
export async function loadJoinToken(options: ControlPlaneOptions): Promise<string | undefined> {
  const [text] = await readOptionalAll([[options.joinTokenFile, '--join-token-file']]);
  if (text === undefined) return undefined;
  const token = text.trim();
  if (!parseBootstrapToken(token))
    throw new UsageError(
      '--join-token-file must hold one bootstrap token: 6 then 16 characters of [a-z0-9], joined by a dot',
    );
  return token;
}

export async function loadSigningCa(options: ControlPlaneOptions): Promise<CertificateAuthority | undefined> {
  const [cert, key] = await readOptionalAll([
    [options.clusterSigningCertFile, '--cluster-signing-cert-file'],
    [options.clusterSigningKeyFile, '--cluster-signing-key-file'],
  ]);
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new UsageError('pass both --cluster-signing-cert-file and --cluster-signing-key-file, or neither');
  try {
    return loadCa(cert, key);
  } catch (err) {
    throw new UsageError(`--cluster-signing-cert-file/--cluster-signing-key-file: ${(err as Error).message}`);
  }
}
