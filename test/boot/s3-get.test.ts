import { execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3_GET_SH } from '../../src/boot/s3-get.js';
import { type ImdsServer, startImdsServer } from '../harness/imds.js';

// The boot script's shell S3 GET on its own: its HMAC and key derivation against AWS's documented
// example and node:crypto, and the request it makes against the AWS SDK's own signer.

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const TOKEN = `session-token-${'x'.repeat(40)}/+=`;
let imds: ImdsServer;
const work = mkdtempSync(join(tmpdir(), 'tugboat-habits-s3get-'));
const lib = join(work, 's3-get.sh');

beforeAll(async () => {
  writeFileSync(lib, S3_GET_SH);
  imds = await startImdsServer({
    instanceId: 'i-0123456789abcdef0',
    region: 'eu-west-1',
    availabilityZone: 'eu-west-1a',
    instanceType: 't3.small',
    privateIp: '10.0.0.4',
    role: 'tugboat-s3get-worker',
    accessKeyId: 'ASIATESTBOOT',
    secretAccessKey: SECRET,
    sessionToken: TOKEN,
  });
});

afterAll(async () => {
  await imds?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs `body` under `sh -eu` (dash here, as on Debian and Ubuntu; bash is AL2023's and RHEL's sh) after sourcing the functions. */
function sh(
  body: string,
  env: Record<string, string> = {},
  shell = 'sh',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      shell,
      // --norc: bash reads bash.bashrc when its stdin is a socket, as node's pipes are.
      [...(shell === 'bash' ? ['--norc'] : []), '-euc', `. "$0"\n${body}`, lib],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('HMAC-SHA256 in shell', () => {
  it.each(['sh', 'bash'])(
    "derives AWS's documented SigV4 signing key (20150830/us-east-1/iam) under %s",
    async (shell) => {
      const r = await sh(`tb_sigv4_key '${SECRET}' 20150830 us-east-1 iam`, {}, shell);
      expect(r.stderr).toBe('');
      // docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html (derive the signing key)
      expect(r.stdout.trim()).toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
    },
  );

  it.each([1, 20, 32, 64, 65, 100])(
    'equals node:crypto for a %i-byte key and a multi-line message',
    async (n) => {
      const key = randomBytes(n);
      // Bytes that a careless byte writer gets wrong: NUL, backslash, %, high bytes.
      key[0] = 0;
      const message = 'AWS4-HMAC-SHA256\n20261203T000000Z\n100% \\n done\n';
      const r = await sh(`tb_hmac ${key.toString('hex')} "$MSG"`, { MSG: message });
      expect(r.stdout.trim()).toBe(createHmac('sha256', key).update(message).digest('hex'));
    },
  );
});

describe('s3_get', () => {
  it('signs its GET exactly as the AWS SDK signs it, and no credential is ever in a process argument', async () => {
    let seen: { path: string; headers: IncomingHttpHeaders } | undefined;
    const s3 = createServer((req, res) => {
      seen = { path: req.url ?? '', headers: req.headers };
      res.writeHead(200).end('bundle-bytes');
    });
    const endpoint = await new Promise<string>((resolve) =>
      s3.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s3.address() as AddressInfo).port}`)),
    );
    // A curl on PATH that records its arguments, then runs the real one.
    const bin = join(work, 'bin');
    const argvLog = join(work, 'curl-argv');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'curl'),
      `#!/bin/sh\nprintf '%s\\n' "$@" >> ${argvLog}\nexec /usr/bin/curl "$@"\n`,
    );
    chmodSync(join(bin, 'curl'), 0o755);
    const out = join(work, 'fetched');
    try {
      const r = await sh(`bucket=bkt region=eu-west-1 s3_get c/bundles/abc/f.mjs ${out}`, {
        PATH: `${bin}:${process.env.PATH}`,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `${imds.endpoint}/`,
        AWS_ENDPOINT_URL: endpoint,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('bundle-bytes');
      expect(seen?.path).toBe('/bkt/c/bundles/abc/f.mjs');
      const h = seen!.headers;
      const amzDate = String(h['x-amz-date']);
      const date = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const signer = new SignatureV4({
        service: 's3',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'ASIATESTBOOT', secretAccessKey: SECRET, sessionToken: TOKEN },
        sha256: NodeSha256,
        uriEscapePath: false,
        applyChecksum: true,
      });
      const url = new URL(endpoint);
      const signed = await signer.sign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: '/bkt/c/bundles/abc/f.mjs',
          query: {},
          headers: { host: url.host, 'x-amz-content-sha256': createHash('sha256').update('').digest('hex') },
        },
        { signingDate: date },
      );
      expect(h.authorization).toBe(signed.headers.authorization);
      expect(h['x-amz-security-token']).toBe(TOKEN);
      const argv = readFileSync(argvLog, 'utf8');
      expect(argv).toContain(endpoint);
      expect(argv).not.toContain(SECRET);
      expect(argv).not.toContain(TOKEN);
      expect(argv).not.toContain('x-aws-ec2-metadata-token:');
      expect(argv).not.toContain('Signature=');
    } finally {
      s3.closeAllConnections();
      await new Promise<void>((r) => s3.close(() => r()));
    }
  });

  it("fails with S3's status and error code, and leaves no partial file", async () => {
    const s3 = createServer((_req, res) => {
      res.writeHead(403).end('<?xml version="1.0"?>\n<Error><Code>AccessDenied</Code></Error>');
    });
    const endpoint = await new Promise<string>((resolve) =>
      s3.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s3.address() as AddressInfo).port}`)),
    );
    const out = join(work, 'denied');
    try {
      const r = await sh(`bucket=bkt region=eu-west-1 s3_get c/runtime/x.tgz ${out}`, {
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim()).toBe(
        'S3 GET s3://bkt/c/runtime/x.tgz answered 403 <?xml version="1.0"?> <Error><Code>AccessDenied</Code></Error>',
      );
      expect(() => readFileSync(out)).toThrow(/ENOENT/);
    } finally {
      s3.closeAllConnections();
      await new Promise<void>((r) => s3.close(() => r()));
    }
  });

  it('refuses a key that would need URI encoding rather than sign it wrongly', async () => {
    const r = await sh(`bucket=bkt region=eu-west-1 s3_get 'a b/c' ${join(work, 'x')}`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('s3_get: unexpected key: a b/c');
  });
});

/** The SDK's hash interface over node:crypto (plain SHA-256, or HMAC with a secret). */
class NodeSha256 {
  private readonly h;
  constructor(secret?: unknown) {
    this.h = secret ? createHmac('sha256', secret as string | Uint8Array) : createHash('sha256');
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}
