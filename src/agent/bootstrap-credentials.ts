import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { EventSink } from '../events.js';
import { requestNodeClientCertificate } from './tls-bootstrap.js';

/** Options of {@link ensureNodeClientCertificate}. */
export interface BootstrapCredentialsOptions {
  readonly server: string;
  /**
   * Further API servers, tried in turn when one cannot be connected to or fails verification
   * (the agent passes its configured failoverServers, then the saved api-servers.json list).
   * @default none
   */
  readonly failoverServers?: readonly string[];
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** File holding the bootstrap token `<id>.<secret>` (never on a command line). */
  readonly bootstrapTokenFile: string;
  readonly nodeName: string;
  readonly events: EventSink;
  /** @default 300_000 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly pollMs?: number;
  /** @default new Date() */
  readonly now?: () => Date;
}

const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Why the certificate and key on disk cannot be used as this node's identity, or undefined when
 * they can: both there, the key is the certificate's, CN `system:node:<name>`, inside its
 * validity period (with a minute to spare). A half-written or mismatched pair is never used.
 */
export function unusableNodeCertificate(
  certFile: string,
  keyFile: string,
  nodeName: string,
  now: Date,
): string | undefined {
  const certPem = readOrUndefined(certFile);
  const keyPem = readOrUndefined(keyFile);
  if (certPem === undefined || keyPem === undefined) return 'no client certificate yet';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return `${keyFile} is not the key of ${certFile}`;
  } catch (err) {
    return `${certFile} or ${keyFile} cannot be read as PEM (${(err as Error).message})`;
  }
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  if (cn !== `system:node:${nodeName}`)
    return `${certFile} is for ${cn ?? 'no CN'}, not system:node:${nodeName}`;
  if (Date.parse(cert.validTo) - 60_000 <= now.getTime()) return `${certFile} expired at ${cert.validTo}`;
  if (Date.parse(cert.validFrom) > now.getTime() + 60_000)
    return `${certFile} is not valid before ${cert.validFrom}`;
  return undefined;
}

/**
 * Kubelet-style TLS bootstrap at agent start: keeps a usable node certificate, else asks for
 * one with the bootstrap token (a CertificateSigningRequest for `system:node:<name>`) and waits
 * until it is issued. The key is written before the certificate, each atomically, so a crash
 * in between leaves a pair that {@link unusableNodeCertificate} refuses and the next start asks
 * again.
 */
export async function ensureNodeClientCertificate(options: BootstrapCredentialsOptions): Promise<void> {
  const why = unusableNodeCertificate(
    options.certFile,
    options.keyFile,
    options.nodeName,
    (options.now ?? (() => new Date()))(),
  );
  if (!why) return;
  let token: string;
  try {
    token = readFileSync(options.bootstrapTokenFile, 'utf8').trim();
  } catch (err) {
    throw new UsageError(
      `cannot read bootstrap token file ${options.bootstrapTokenFile} (${(err as NodeJS.ErrnoException).code}): check the path and permissions`,
    );
  }
  if (!TOKEN.test(token))
    throw new UsageError(
      `bootstrap token file ${options.bootstrapTokenFile} does not hold a token of the form [a-z0-9]{6}.[a-z0-9]{16}`,
    );
  let ca: string;
  try {
    ca = readFileSync(options.caFile, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read CA file ${options.caFile} (${(err as NodeJS.ErrnoException).code}): the bootstrap token is only sent to a server this CA vouches for`,
    );
  }
  options.events.emit({
    code: 'agent.tls-bootstrap.requesting',
    level: 'info',
    message: `${why}: requesting a client certificate for system:node:${options.nodeName} with the bootstrap token ${token.slice(0, 6)}`,
    data: { nodeName: options.nodeName, tokenId: token.slice(0, 6) },
  });
  await requestNodeClientCertificate({
    server: options.server,
    failoverServers: options.failoverServers,
    ca,
    token,
    nodeName: options.nodeName,
    certFile: options.certFile,
    keyFile: options.keyFile,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
  });
  options.events.emit({
    code: 'agent.tls-bootstrap.issued',
    level: 'info',
    message: `client certificate for system:node:${options.nodeName} issued and written to ${options.certFile}`,
    data: { nodeName: options.nodeName, certFile: options.certFile },
  });
}
