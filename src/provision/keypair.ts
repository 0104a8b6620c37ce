import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
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

/**
 * Generates an ed25519 key pair in OpenSSH formats with ssh2's own key generation, which both
 * `ssh` and the ssh2 library read.
 */
export function buildSshKeyPair(comment: string): SshKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { publicKey: pair.public, privateKey: pair.private };
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
