import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unusableServingCertificate } from '../../src/agent/serving-bootstrap.js';
import { createCa, issueCertificate } from '../../src/pki/authority.js';

// Whether an agent with --rotate-server-certificates serves with what it has or asks by CSR.
const dir = mkdtempSync(join(tmpdir(), 'tugboat-bootgaps-serving-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = createCa({ cluster: 'bootgaps' });
const now = new Date();

function write(name: string, cn: string, altNames: string[], validityDays = 30) {
  const c = issueCertificate(ca, {
    subject: { commonName: cn, organizations: ['system:nodes'] },
    usage: 'server',
    altNames,
    validityDays,
  });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, c.certPem);
  writeFileSync(key, c.keyPem);
  return { cert, key };
}

describe('unusableServingCertificate', () => {
  it('keeps a certificate of this node that names every address (a restart asks nothing)', () => {
    const f = write('ok', 'system:node:i-1', ['10.0.1.7', '203.0.113.9']);
    expect(
      unusableServingCertificate(f.cert, f.key, 'i-1', ['10.0.1.7', '203.0.113.9'], now),
    ).toBeUndefined();
  });

  it('asks again when an address is new (an EIP taken since), the node differs, it expired or nothing is there', () => {
    const f = write('one', 'system:node:i-1', ['10.0.1.7']);
    expect(unusableServingCertificate(f.cert, f.key, 'i-1', ['10.0.1.7', '203.0.113.9'], now)).toBe(
      `${f.cert} does not name 203.0.113.9`,
    );
    expect(unusableServingCertificate(f.cert, f.key, 'i-2', ['10.0.1.7'], now)).toContain(
      'not system:node:i-2',
    );
    const later = new Date(now.getTime() + 40 * 86_400_000);
    expect(unusableServingCertificate(f.cert, f.key, 'i-1', ['10.0.1.7'], later)).toContain('expired');
    expect(unusableServingCertificate(join(dir, 'none.crt'), join(dir, 'none.key'), 'i-1', [], now)).toBe(
      'no serving certificate yet',
    );
    const other = write('other', 'system:node:i-1', ['10.0.1.7']);
    expect(unusableServingCertificate(f.cert, other.key, 'i-1', ['10.0.1.7'], now)).toContain(
      'is not the key of',
    );
  });
});
