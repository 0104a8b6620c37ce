import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostBundleVersion } from '../../src/bootstrap/host-bundle.js';
import { waitForHealthy } from '../../src/bootstrap/wait-healthy.js';
import {
  createCa,
  issueAdminCertificate,
  issueApiServerCertificate,
  renderKubeconfig,
  writeKeyFile,
} from '../../src/pki/index.js';
import { freePort, startProcess } from '../harness/process.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-bundle-${process.pid}-`));
let manifest: { file: string; sha256: string; bytes: number; version: string };
let bundle: string;

beforeAll(() => {
  const out = execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'out')], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  manifest = JSON.parse(out);
  bundle = join(dir, 'out', manifest.file);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('host bundle', () => {
  it('is one file named by the hash of its content, with a manifest', () => {
    const code = readFileSync(bundle);
    expect(manifest.file).toBe(`tugboat-host-${manifest.sha256.slice(0, 16)}.mjs`);
    expect(createHash('sha256').update(code).digest('hex')).toBe(manifest.sha256);
    expect(manifest.bytes).toBe(code.length);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual([manifest.file, 'manifest.json'].sort());
  });

  it('says on its first line which version it is (what `tugboat upgrade --bundle` targets)', () => {
    const content = readFileSync(bundle);
    expect(content.toString('utf8').split('\n', 1)[0]).toBe(`// tugboat-host-bundle ${manifest.version}`);
    expect(hostBundleVersion({ file: manifest.file, content })).toBe(manifest.version);
    // A bundle from before the line existed says nothing.
    expect(
      hostBundleVersion({ file: 'old.mjs', content: Buffer.from('import x from "y";\n') }),
    ).toBeUndefined();
  });

  it('runs from an empty directory with plain node (no node_modules, no package.json)', () => {
    const lonely = join(dir, 'lonely');
    execFileSync('mkdir', ['-p', lonely]);
    writeFileSync(join(lonely, 'b.mjs'), readFileSync(bundle));
    const help = execFileSync(process.execPath, [join(lonely, 'b.mjs'), '--help'], {
      cwd: lonely,
      encoding: 'utf8',
    });
    expect(help).toContain('control-plane');
  });

  it('serves the API over TLS with tugboat certificates; kubectl trusts it; SIGTERM stops it', async () => {
    const ca = createCa({ cluster: 'bundle' });
    const serving = issueApiServerCertificate(ca);
    const admin = issueAdminCertificate(ca);
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    writeFileSync(join(dir, 'apiserver.crt'), serving.certPem);
    writeKeyFile(join(dir, 'apiserver.key'), serving.keyPem);
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const proc = await startProcess(
      process.execPath,
      [
        bundle,
        'control-plane',
        '--listen',
        `127.0.0.1:${port}`,
        '--data-dir',
        join(dir, 'data'),
        '--tls-cert-file',
        join(dir, 'apiserver.crt'),
        '--tls-private-key-file',
        join(dir, 'apiserver.key'),
        '--client-ca-file',
        join(dir, 'ca.crt'),
      ],
      {
        cwd: dir,
        timeoutMs: 60_000,
        ready: () =>
          waitForHealthy(`${server}/readyz`, { caPem: ca.certPem, timeoutMs: 500 }).then(() => true),
      },
    );
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeKeyFile(
        kubeconfig,
        renderKubeconfig({
          cluster: 'bundle',
          server,
          caPem: ca.certPem,
          user: 'admin',
          certPem: admin.certPem,
          keyPem: admin.keyPem,
        }),
      );
      const namespaces = execFileSync(
        'kubectl',
        ['--kubeconfig', kubeconfig, 'get', 'namespaces', '-o', 'name'],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(namespaces).toContain('namespace/default');
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(`${server}/api/v1/pods`, { ca: ca.certPem, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(401);
    } finally {
      await proc.stop(10_000);
    }
    expect(proc.child.exitCode).toBe(0);
  });
});
