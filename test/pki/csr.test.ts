import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCsrPem, parseCsrPem } from '../../src/pki/csr.js';
import { fromPem, generateKeyPair, toPem } from '../../src/pki/index.js';

describe('certificate signing requests', () => {
  it('round-trips subject, DNS and IP SANs and the public key', () => {
    const { privateKey, publicKey } = generateKeyPair();
    const pem = buildCsrPem(privateKey, { commonName: 'system:node:n1', organizations: ['system:nodes'] }, [
      'n1.internal',
      '10.0.0.7',
      'fd00::7',
    ]);
    const csr = parseCsrPem(pem);
    expect(csr).toMatchObject({
      commonName: 'system:node:n1',
      organizations: ['system:nodes'],
      dnsNames: ['n1.internal'],
      ipAddresses: ['10.0.0.7', 'fd00::7'],
      otherNames: [],
    });
    expect(csr.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
      publicKey.export({ type: 'spki', format: 'der' }),
    );
  });

  it('verifies with openssl, and reads what openssl makes (RSA, email SAN)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tugboat-csr-unit-'));
    try {
      const ours = join(dir, 'ours.csr');
      execFileSync('sh', ['-c', `cat > ${ours}`], {
        input: buildCsrPem(generateKeyPair().privateKey, { commonName: 'a' }),
      });
      expect(
        execFileSync('openssl', ['req', '-in', ours, '-noout', '-verify'], { stdio: 'pipe' }).toString(),
      ).toBe('');
      const theirs = join(dir, 'theirs.csr');
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          theirs,
          '-subj',
          '/O=g1/O=g2/CN=user',
          '-addext',
          'subjectAltName=DNS:x.example,email:a@b.example',
        ],
        { stdio: 'pipe' },
      );
      expect(parseCsrPem(readFileSync(theirs, 'utf8'))).toMatchObject({
        commonName: 'user',
        organizations: ['g1', 'g2'],
        dnsNames: ['x.example'],
        otherNames: ['a@b.example'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses other PEM blocks, garbage and a broken signature', () => {
    expect(() => parseCsrPem('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----')).toThrow(
      'PEM block type must be CERTIFICATE REQUEST',
    );
    expect(() =>
      parseCsrPem('-----BEGIN CERTIFICATE REQUEST-----\nMAM=\n-----END CERTIFICATE REQUEST-----'),
    ).toThrow();
    const der = fromPem(
      buildCsrPem(generateKeyPair().privateKey, { commonName: 'a' }),
      'CERTIFICATE REQUEST',
    );
    der.writeUInt8(der.readUInt8(20) ^ 0xff, 20);
    expect(() => parseCsrPem(toPem(der, 'CERTIFICATE REQUEST'))).toThrow();
  });
});
