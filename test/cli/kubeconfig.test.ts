import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCa, issueAdminCertificate, renderKubeconfig, writeKeyFile } from '../../src/pki/index.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-cli-kubeconfig-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  ...process.env,
  TUGBOAT_STATE_DIR: join(dir, 'state'),
  KUBECONFIG: join(dir, 'kube', 'config'),
};

describe('tugboat kubeconfig NAME', () => {
  it('merges the cluster context into $KUBECONFIG (0600) and makes it current', async () => {
    const ca = createCa({ cluster: 'lab' });
    const admin = issueAdminCertificate(ca);
    mkdirSync(join(dir, 'state', 'lab'), { recursive: true });
    writeKeyFile(
      join(dir, 'state', 'lab', 'kubeconfig'),
      renderKubeconfig({
        cluster: 'lab',
        server: 'https://127.0.0.1:6443',
        caPem: ca.certPem,
        user: 'admin',
        ...admin,
      }),
    );
    const r = await runCli(['kubeconfig', 'lab'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`context lab merged into ${env.KUBECONFIG}`);
    const merged = parse(readFileSync(env.KUBECONFIG, 'utf8'));
    expect(merged['current-context']).toBe('lab');
    expect(statSync(env.KUBECONFIG).mode & 0o777).toBe(0o600);
    const printed = await runCli(['kubeconfig', 'lab', '--print'], { env });
    expect(parse(printed.stdout).clusters[0].name).toBe('lab');
  });

  it('says how to get a kubeconfig for an unknown cluster', async () => {
    const r = await runCli(['kubeconfig', 'nope'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no kubeconfig for cluster "nope"');
    expect(r.stderr).toContain('run tugboat bootstrap');
  });
});
