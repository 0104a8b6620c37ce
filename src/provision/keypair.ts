import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ec2Api } from '../aws/ec2.js';
import { isAwsError } from '../aws/errors.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { ConfigError } from '../errors.js';
import type { EventSink } from '../events.js';
import { clusterStateDir, keyPairName } from '../naming.js';

/** An ed25519 key pair in OpenSSH formats. */
export interface SshKeyPair {
  /** `ssh-ed25519 AAAA... comment` */
  readonly publicKey: string;
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` (unencrypted; kept in a 0600 file). */
  readonly privateKey: string;
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/**
 * Generates an ed25519 key pair with node:crypto and encodes it the way OpenSSH writes it
 * (`openssh-key-v1`), which both `ssh` and the ssh2 library read. Not ssh2's own
 * `utils.generateKeyPairSync`: about 1 in 200 of its ed25519 public keys lose a leading zero byte
 * (31-byte keys), which EC2's ImportKeyPair rejects as not OpenSSH format.
 */
export function buildSshKeyPair(comment: string): SshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from((publicKey.export({ format: 'jwk' }).x ?? '') as string, 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4).readUInt32BE();
  let priv = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  return {
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}

/** Options of `ensureKeyPair`. */
export interface KeyPairOptions {
  readonly ec2: Ec2Api;
  readonly events: EventSink;
  readonly cluster: string;
  /** Use this public key instead of generating one (`ssh.publicKeyFile`). @default generate */
  readonly publicKeyFile?: string;
  /** Root of local state. @default ~/.tugboat */
  readonly stateRoot?: string;
}

/** The EC2 key pair a cluster uses. */
export interface KeyPairResult {
  readonly keyName: string;
  /** Path of the private key, when tugboat generated it. */
  readonly privateKeyPath?: string;
  readonly imported: boolean;
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * Makes sure the cluster's key pair exists locally and in EC2 (idempotent). Generates an ed25519
 * key in `~/.tugboat/<name>/id_ed25519` (0600) unless a public key file is given, then imports
 * the public half tagged `tugboat:cluster=<name>`.
 */
export async function ensureKeyPair(options: KeyPairOptions): Promise<KeyPairResult> {
  const keyName = keyPairName(options.cluster);
  let publicKey: string;
  let privateKeyPath: string | undefined;
  if (options.publicKeyFile) {
    if (!existsSync(options.publicKeyFile)) {
      throw new ConfigError([
        {
          path: 'ssh.publicKeyFile',
          message: `${options.publicKeyFile} does not exist: give an OpenSSH .pub file`,
        },
      ]);
    }
    publicKey = readFileSync(options.publicKeyFile, 'utf8').trim();
  } else {
    const dir = clusterStateDir(options.cluster, options.stateRoot);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    privateKeyPath = join(dir, 'id_ed25519');
    const pubPath = `${privateKeyPath}.pub`;
    if (existsSync(privateKeyPath) && existsSync(pubPath)) {
      publicKey = readFileSync(pubPath, 'utf8').trim();
    } else {
      const pair = buildSshKeyPair(`tugboat-${options.cluster}`);
      writePrivate(privateKeyPath, pair.privateKey);
      writeFileSync(pubPath, `${pair.publicKey}\n`, { mode: 0o644 });
      publicKey = pair.publicKey;
      options.events.emit({
        code: 'keypair.generated',
        level: 'info',
        message: `generated ${privateKeyPath}`,
      });
    }
  }
  const existing = await options.ec2
    .describeKeyPairs([{ name: 'key-name', values: [keyName] }])
    .catch((err: unknown) => {
      if (isAwsError(err, 'InvalidKeyPair')) return [];
      throw err;
    });
  if (existing.some((k) => k.name === keyName)) {
    if (existing.some((k) => k.name === keyName && k.tags[CLUSTER_TAG] !== options.cluster)) {
      options.events.emit({
        code: 'keypair.untagged',
        level: 'warn',
        message: `key pair ${keyName} exists without tag ${CLUSTER_TAG}=${options.cluster}; using it as is`,
      });
    }
    return { keyName, ...(privateKeyPath ? { privateKeyPath } : {}), imported: false };
  }
  await options.ec2.importKeyPair(keyName, publicKey, { [CLUSTER_TAG]: options.cluster });
  options.events.emit({ code: 'keypair.imported', level: 'info', message: `imported key pair ${keyName}` });
  return { keyName, ...(privateKeyPath ? { privateKeyPath } : {}), imported: true };
}
