import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3_FETCHER_JS } from '../../src/boot/s3-fetcher.js';
import { type ImdsServer, startImdsServer } from '../harness/imds.js';

// The boot script's S3 fetcher on its own: the request it makes, signed as the SDK signs it.

let imds: ImdsServer;
const work = mkdtempSync(join(tmpdir(), 'tugboat-s3-fetcher-'));

beforeAll(async () => {
  imds = await startImdsServer({
    instanceId: 'i-0123456789abcdef0',
    region: 'eu-west-1',
    availabilityZone: 'eu-west-1a',
    instanceType: 't3.small',
    privateIp: '10.0.0.4',
    role: 'tugboat-fetcher-worker',
    accessKeyId: 'ASIATESTBOOT',
    secretAccessKey: 'test',
    sessionToken: 'session-token-of-the-role',
  });
});

afterAll(async () => {
  await imds?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the S3 fetcher', () => {
  it('signs its GET exactly as the AWS SDK signs it (SigV4, session token, unsigned-empty payload hash)', async () => {
    let seen: { path: string; headers: IncomingHttpHeaders } | undefined;
    const s3 = createServer((req, res) => {
      seen = { path: req.url ?? '', headers: req.headers };
      res.writeHead(200).end('bundle-bytes');
    });
    const endpoint = await new Promise<string>((resolve) =>
      s3.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s3.address() as AddressInfo).port}`)),
    );
    const out = join(work, 'fetched');
    try {
      await new Promise<void>((resolve, reject) => {
        const child = execFile(
          process.execPath,
          ['-'],
          {
            env: {
              TB_REGION: 'eu-west-1',
              TB_BUCKET: 'bkt',
              TB_KEY: 'c/bundles/abc/f.mjs',
              TB_OUT: out,
              AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
              AWS_ENDPOINT_URL: endpoint,
            },
          },
          (err) => (err ? reject(err) : resolve()),
        );
        child.stdin?.end(S3_FETCHER_JS);
      });
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
        credentials: {
          accessKeyId: 'ASIATESTBOOT',
          secretAccessKey: 'test',
          sessionToken: 'session-token-of-the-role',
        },
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
      expect(h['x-amz-security-token']).toBe('session-token-of-the-role');
    } finally {
      s3.closeAllConnections();
      await new Promise<void>((r) => s3.close(() => r()));
    }
  }, 60_000);
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
