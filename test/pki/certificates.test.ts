import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCa,
  issueAdminCertificate,
  issueAgentServingCertificate,
  issueApiServerCertificate,
  issueCertificate,
  issueClientCertificate,
  issueNodeCertificate,
  loadCa,
} from '../../src/pki/index.js';

const now = new Date('2026-11-25T08:00:00Z');
const ca = createCa({ cluster: 'demo', now });

describe('cluster CA', () => {
  it('is a self-signed ECDSA P-256 CA valid for ten years', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('O=tugboat\nCN=tugboat-ca-demo');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 5 * 60_000);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2036);
    expect(cert.checkPrivateKey(ca.key)).toBe(true);
  });

  it('round-trips through PEM and refuses a key that is not its own', () => {
    const again = loadCa(ca.certPem, ca.keyPem);
    expect(again.nameDer.equals(ca.nameDer)).toBe(true);
    const issued = issueAdminCertificate(again, { now });
    expect(new X509Certificate(issued.certPem).checkIssued(ca.cert)).toBe(true);
    const other = createCa({ cluster: 'other' });
    expect(() => loadCa(ca.certPem, other.keyPem)).toThrow(/does not belong to CA/);
  });

  it('refuses a leaf certificate as a CA', () => {
    const leaf = issueAdminCertificate(ca);
    expect(() => loadCa(leaf.certPem, leaf.keyPem)).toThrow(/not a CA certificate/);
  });

  it('refuses an empty cluster name and non-positive validity', () => {
    expect(() => createCa({ cluster: ' ' })).toThrow(/cluster name is empty/);
    expect(() => createCa({ cluster: 'x', validityDays: 0 })).toThrow(/validityDays \(0\)/);
  });
});

describe('leaf certificates', () => {
  it('API server certificate carries the caller SANs plus loopback and in-cluster names', () => {
    const issued = issueApiServerCertificate(ca, {
      now,
      altNames: ['203.0.113.7', '10.0.1.4', 'api.demo.example.com', 'fd00::5'],
    });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca.cert)).toBe(true);
    expect(cert.verify(ca.cert.publicKey)).toBe(true);
    expect(cert.subject).toBe('CN=tugboat-apiserver');
    const san = cert.subjectAltName ?? '';
    for (const part of [
      'IP Address:203.0.113.7',
      'IP Address:10.0.1.4',
      'DNS:api.demo.example.com',
      'IP Address:FD00:0:0:0:0:0:0:5',
      'IP Address:127.0.0.1',
      'DNS:localhost',
      'DNS:kubernetes.default.svc',
    ]) {
      expect(san).toContain(part);
    }
    expect(cert.checkHost('api.demo.example.com')).toBe('api.demo.example.com');
    expect(cert.checkIP('203.0.113.7')).toBe('203.0.113.7');
    expect(cert.checkIP('203.0.113.8')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(cert.validTo).getTime() - now.getTime()).toBe(365 * 86_400_000);
  });

  it('admin certificate: CN admin, O system:masters, client auth only', () => {
    const cert = new X509Certificate(issueAdminCertificate(ca).certPem);
    expect(cert.subject).toBe('O=system:masters\nCN=admin');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.checkIssued(ca.cert)).toBe(true);
  });

  it('each node gets its own key and CN node:<name> in O tugboat:nodes', () => {
    const a = issueNodeCertificate(ca, { nodeName: 'worker-a' });
    const b = issueNodeCertificate(ca, { nodeName: 'worker-b' });
    expect(new X509Certificate(a.certPem).subject).toBe('O=tugboat:nodes\nCN=node:worker-a');
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
  });

  it('client certificates carry several groups as several O values', () => {
    const cert = new X509Certificate(
      issueClientCertificate(ca, { user: 'alice', groups: ['dev', 'ops'] }).certPem,
    );
    expect(cert.subject).toBe('O=dev\nO=ops\nCN=alice');
  });

  it('agent serving certificate is a server cert for the node addresses', () => {
    const cert = new X509Certificate(
      issueAgentServingCertificate(ca, { nodeName: 'w1', altNames: ['10.0.2.9'] }).certPem,
    );
    expect(cert.checkIP('10.0.2.9')).toBe('10.0.2.9');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('rejects bad SANs and subjects with a message naming the value', () => {
    expect(() => issueApiServerCertificate(ca, { altNames: ['10.0.0.300'] })).toThrow(/"10\.0\.0\.300"/);
    expect(() => issueApiServerCertificate(ca, { altNames: ['bad host'] })).toThrow(/"bad host"/);
    expect(() => issueClientCertificate(ca, { user: 'a\nb' })).toThrow(/control characters/);
    expect(() => issueCertificate(ca, { subject: { commonName: '' }, usage: 'client' })).toThrow(/empty/);
  });

  it('issues GeneralizedTime dates past 2049 that node can read', () => {
    const cert = new X509Certificate(issueAdminCertificate(ca, { now, validityDays: 365 * 30 }).certPem);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2056);
  });
});
