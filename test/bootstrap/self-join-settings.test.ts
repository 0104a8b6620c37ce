import { describe, expect, it } from 'vitest';
import {
  buildControlPlaneFiles,
  buildControlPlaneService,
} from '../../src/bootstrap/control-plane-install.js';
import { DEFAULT_HOST_LAYOUT } from '../../src/bootstrap/layout.js';
import type { IssuedCertificate } from '../../src/pki/authority.js';

// A booted master lets instances join by themselves: the CA key and the join token reach it as
// 0600 files named by flags (never their values on the command line); SSH bootstrap leaves it all out.
describe('control plane install for self-join', () => {
  const cert = { certPem: 'CERT', keyPem: 'KEY' } as IssuedCertificate;
  const base = {
    layout: DEFAULT_HOST_LAYOUT,
    bundle: { file: 'b.mjs', content: Buffer.from('') },
    pki: { ca: cert, apiServer: cert, apiServerClient: cert, serviceAccountKey: 'SA' } as never,
    nodePath: '/usr/bin/node',
  };
  const selfJoin = {
    caKeyPem: 'CA-PRIVATE-KEY',
    joinToken: 'abc123.0123456789abcdef',
    cluster: 'demo',
    region: 'eu-west-1',
  };

  it('signs with the cluster CA, keeps the join token Secret and asks EC2, with files named by flags', () => {
    const service = buildControlPlaneService({ ...base, selfJoin });
    const argv = service.command.join(' ');
    expect(argv).toContain(
      '--cluster-signing-cert-file /etc/tugboat/pki/ca.crt --cluster-signing-key-file /etc/tugboat/pki/ca.key',
    );
    expect(argv).toContain('--join-token-file /etc/tugboat/pki/join-token');
    expect(argv).toContain('--cloud-provider aws --cluster-name demo --cloud-region eu-west-1');
    expect(argv).not.toContain('CA-PRIVATE-KEY');
    expect(argv).not.toContain('0123456789abcdef');
    expect(service.env).toEqual({ AWS_REGION: 'eu-west-1' });
    const files = buildControlPlaneFiles({ ...base, selfJoin });
    expect(files.find((f) => f.path === '/etc/tugboat/pki/ca.key')).toMatchObject({
      content: 'CA-PRIVATE-KEY',
      mode: 0o600,
    });
    expect(files.find((f) => f.path === '/etc/tugboat/pki/join-token')).toMatchObject({
      content: 'abc123.0123456789abcdef\n',
      mode: 0o600,
    });
  });

  it('SSH bootstrap (no selfJoin): no CA key, no token, no cloud on the host', () => {
    const argv = buildControlPlaneService(base).command.join(' ');
    expect(argv).not.toMatch(/--cluster-signing|--join-token-file|--cloud-provider/);
    expect(buildControlPlaneFiles(base).map((f) => f.path)).not.toContain('/etc/tugboat/pki/ca.key');
  });
});
