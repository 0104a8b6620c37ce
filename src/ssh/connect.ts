import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { AbortError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { jitter, sleep } from '../timing.js';
import { HostKeyError, SshConnectError } from './errors.js';
import { checkHostKey, type HostKeyPolicy, hostKeyAlgorithmsFor } from './host-key-policy.js';
import { knownHostName } from './known-hosts.js';
import { SshShell } from './ssh-shell.js';

/** Where and as whom to log in. */
export interface SshEndpoint {
  readonly host: string;
  /** @default 22 */
  readonly port?: number;
  readonly username: string;
  /** Private key text (a secret: never logged). Takes precedence over `privateKeyPath`. */
  readonly privateKey?: string | Buffer;
  /** Path of a private key file. */
  readonly privateKeyPath?: string;
  /** ssh-agent socket. @default process.env.SSH_AUTH_SOCK when no private key is given */
  readonly agent?: string;
}

/** Bounded retries while an instance is still booting. */
export interface RetryOptions {
  /** @default 10 */
  readonly attempts?: number;
  /** Delay before the second attempt; doubles each time. @default 1000 */
  readonly initialDelayMs?: number;
  /** @default 10000 */
  readonly maxDelayMs?: number;
}

/** Options for {@link connectSsh}. */
export interface SshConnectOptions extends SshEndpoint {
  readonly hostKeys: HostKeyPolicy;
  /** Name for errors and events. @default `host` */
  readonly name?: string;
  /** Reach `host` through this bastion (its host key is checked with the same policy). @default direct */
  readonly jumpHost?: SshEndpoint;
  /** TCP connect + SSH handshake limit per attempt. @default 20000 */
  readonly connectTimeoutMs?: number;
  /** @default {} (10 attempts, 1 s doubling to 10 s) */
  readonly retry?: RetryOptions;
  /** @default 15000 */
  readonly keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection is declared dead. @default 4 */
  readonly keepaliveCountMax?: number;
  readonly signal?: AbortSignal;
  /** @default silentEvents */
  readonly events?: EventSink;
}

interface AttemptContext {
  hostKeyError?: HostKeyError;
}

function authConfig(endpoint: SshEndpoint): Pick<ConnectConfig, 'privateKey' | 'agent'> {
  const privateKey =
    endpoint.privateKey ?? (endpoint.privateKeyPath ? readFileSync(endpoint.privateKeyPath) : undefined);
  const agent = endpoint.agent ?? (privateKey ? undefined : process.env.SSH_AUTH_SOCK);
  if (!privateKey && !agent) {
    throw new SshConnectError(
      'SSH_AUTH_FAILED',
      endpoint.host,
      0,
      `no SSH credentials for ${endpoint.username}@${endpoint.host}: give a private key file or start ssh-agent`,
      undefined,
    );
  }
  return { ...(privateKey ? { privateKey } : {}), ...(agent ? { agent } : {}) };
}

function connectOnce(
  endpoint: SshEndpoint,
  options: SshConnectOptions,
  context: AttemptContext,
  sock?: Readable,
): Promise<Client> {
  const port = endpoint.port ?? 22;
  const client = new Client();
  const algorithms = hostKeyAlgorithmsFor(options.hostKeys, endpoint.host, port);
  return new Promise<Client>((resolve, reject) => {
    client.once('ready', () => {
      client.removeListener('error', reject);
      // Later errors (a dropped connection) surface on the running command; keep the process alive.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', reject);
    client.connect({
      host: endpoint.host,
      port,
      username: endpoint.username,
      ...authConfig(endpoint),
      ...(sock ? { sock } : {}),
      readyTimeout: options.connectTimeoutMs ?? 20_000,
      keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 4,
      ...(algorithms ? { algorithms: { serverHostKey: algorithms as never } } : {}),
      hostVerifier: (key: Buffer) => {
        try {
          const how = checkHostKey(options.hostKeys, endpoint.host, port, key);
          if (how !== 'known') {
            (options.events ?? silentEvents).emit({
              code: 'ssh.host-key.recorded',
              level: 'info',
              message: `recorded the ${how} host key of ${knownHostName(endpoint.host, port)}`,
              data: { host: endpoint.host, port, how },
            });
          }
          return true;
        } catch (err) {
          if (err instanceof HostKeyError) context.hostKeyError = err;
          return false;
        }
      },
    });
  }).catch((err: unknown) => {
    client.end();
    throw context.hostKeyError ?? err;
  });
}

function forward(jump: Client, host: string, port: number): Promise<Readable> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

/** Network trouble that a booting instance produces; anything else (keys, auth) fails at once. */
function isRetryable(err: unknown): boolean {
  if (err instanceof HostKeyError || err instanceof SshConnectError) return false;
  const e = err as { code?: string; level?: string; message?: string };
  if (e.level === 'client-socket' || e.level === 'client-timeout') return true;
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'].includes(e.code ?? '')
  ) {
    return true;
  }
  return /timed out|connection lost before handshake|channel open failure|connection refused/i.test(
    e.message ?? '',
  );
}

/**
 * Opens an SSH connection (through a jump host if given) with host-key verification and bounded
 * retries with exponential back-off while the host is unreachable (an instance still booting).
 * A refused host key or refused login is not retried.
 */
export async function connectSsh(options: SshConnectOptions): Promise<SshShell> {
  const events = options.events ?? silentEvents;
  const name = options.name ?? options.host;
  const port = options.port ?? 22;
  const attempts = Math.max(1, options.retry?.attempts ?? 10);
  let delay = options.retry?.initialDelayMs ?? 1_000;
  const maxDelay = options.retry?.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new AbortError();
    let jump: Client | undefined;
    try {
      const context: AttemptContext = {};
      if (options.jumpHost) {
        jump = await connectOnce(options.jumpHost, options, context);
        const sock = await forward(jump, options.host, port);
        const client = await connectOnce(options, options, context, sock);
        return new SshShell(name, client, jump);
      }
      return new SshShell(name, await connectOnce(options, options, context));
    } catch (err) {
      jump?.end();
      const message = err instanceof Error ? err.message : String(err);
      if (!isRetryable(err)) {
        if (err instanceof HostKeyError || err instanceof SshConnectError) throw err;
        if ((err as { level?: string }).level === 'client-authentication') {
          throw new SshConnectError(
            'SSH_AUTH_FAILED',
            name,
            attempt,
            `${options.username}@${name} refused our key (${message}): check the user name and that the ` +
              `cluster's public key is in its authorized_keys`,
            err,
          );
        }
        throw new SshConnectError(
          'SSH_UNREACHABLE',
          name,
          attempt,
          `ssh to ${name}:${port} failed: ${message}`,
          err,
        );
      }
      if (attempt >= attempts) {
        throw new SshConnectError(
          'SSH_UNREACHABLE',
          name,
          attempt,
          `cannot reach ${options.username}@${name}:${port} after ${attempt} attempts (${message}): check the ` +
            `address, the security group and that sshd runs, or raise retry.attempts`,
          err,
        );
      }
      events.emit({
        code: 'ssh.connect.retry',
        level: 'info',
        message: `${name}: ${message}; retrying in ${delay} ms (attempt ${attempt + 1} of ${attempts})`,
        data: { host: name, attempt, delayMs: delay },
      });
      await sleep(jitter(delay), options.signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
