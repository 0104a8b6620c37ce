import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROL_PLANE_SERVICE,
  controlPlanePaths,
  type HostBundle,
  installControlPlane,
} from '../../src/bootstrap/control-plane-install.js';
import { buildHostLayout, layoutDirectories } from '../../src/bootstrap/layout.js';
import { runPreflight } from '../../src/bootstrap/preflight.js';
import { serviceStatus } from '../../src/bootstrap/service.js';
import { uninstallHost } from '../../src/bootstrap/uninstall.js';
import { waitForHealthy } from '../../src/bootstrap/wait-healthy.js';
import { RecordingEvents } from '../../src/events.js';
import {
  type ClusterPki,
  loadOrCreateClusterPki,
  renderKubeconfig,
  writeKeyFile,
} from '../../src/pki/index.js';
import { connectSsh } from '../../src/ssh/connect.js';
import type { ExecOptions, ExecResult, RemoteShell } from '../../src/ssh/remote-shell.js';
import { freePort } from '../harness/process.js';
import { type Sshd, startSshd } from '../harness/sshd.js';
import { waitGone } from '../ssh/shell-contract.js';

/** Records every command and upload path, to prove no secret travels on a command line. */
class RecordingShell implements RemoteShell {
  readonly commands: string[] = [];
  constructor(private readonly inner: RemoteShell) {}
  get host() {
    return this.inner.host;
  }
  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    this.commands.push(command);
    return this.inner.exec(command, options);
  }
  upload(source: string | Buffer, remotePath: string, mode: number) {
    this.commands.push(`upload ${remotePath} ${mode.toString(8)}`);
    return this.inner.upload(source, remotePath, mode);
  }
  close() {
    return this.inner.close();
  }
}

let dir: string;
let sshd: Sshd;
let shell: RecordingShell;
let bundle: HostBundle;
let pki: ClusterPki;
let nodePath: string;
let port: number;
const events = new RecordingEvents();
const layout = () => buildHostLayout({ root: join(dir, 'host') });
const options = () => ({ layout: layout(), bundle, pki, nodePath, listen: `127.0.0.1:${port}`, events });
const server = () => `https://127.0.0.1:${port}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-cp-install-${process.pid}-`));
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  bundle = { file: manifest.file, content: readFileSync(join(dir, 'bundles', manifest.file)) };
  pki = loadOrCreateClusterPki({ cluster: 'cp', dir: join(dir, 'state', 'pki'), apiAltNames: ['127.0.0.1'] });
  sshd = await startSshd();
  shell = new RecordingShell(
    await connectSsh({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKeyPath: sshd.clientKey.privateKeyPath,
      hostKeys: {
        knownHostsPath: join(dir, 'state', 'known_hosts'),
        pinnedHostKeys: [sshd.hostKey.publicKey],
      },
    }),
  );
  const report = await runPreflight(shell, { layout: layout() });
  nodePath = report.facts.nodePath;
  port = await freePort();
});

afterAll(async () => {
  if (shell)
    await uninstallHost(shell, {
      layout: layout(),
      services: [CONTROL_PLANE_SERVICE],
      serviceRules: false,
      podNetwork: false,
    }).catch(() => undefined);
  await shell?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function servedCertificate(): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' }, () => {
      const raw = sock.getPeerCertificate().raw;
      sock.end();
      resolve(new X509Certificate(raw));
    });
    sock.on('error', reject);
  });
}

describe('control plane installed over SSH (supervised, no systemd here)', () => {
  it('uploads the bundle and certificates, starts the service, and kubectl works over TLS', async () => {
    const result = await installControlPlane(shell, options());
    expect(result).toMatchObject({ mode: 'supervised', filesUploaded: 7, serviceChanged: true });
    // The bundle travels gzip-compressed (about a quarter of its size), the certificates as they are.
    expect(result.bytesUploaded).toBeGreaterThan(bundle.content.length / 10);
    expect(result.bytesUploaded).toBeLessThan(bundle.content.length / 2);
    expect(readFileSync(controlPlanePaths(layout(), bundle.file).bundle).equals(bundle.content)).toBe(true);
    await waitForHealthy(`${server()}/readyz`, { caPem: pki.ca.certPem, timeoutMs: 60_000, intervalMs: 250 });
    const p = controlPlanePaths(layout(), bundle.file);
    expect(statSync(p.key).mode & 0o777).toBe(0o600);
    expect(statSync(p.clientKey).mode & 0o777).toBe(0o600);
    expect(existsSync(join(layout().etc, 'pki', 'ca.key'))).toBe(false);

    const kubeconfig = join(dir, 'state', 'kubeconfig');
    writeKeyFile(
      kubeconfig,
      renderKubeconfig({
        cluster: 'cp',
        server: server(),
        caPem: pki.ca.certPem,
        user: 'admin',
        ...pki.admin,
      }),
    );
    const out = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'namespaces', '-o', 'name'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('namespace/kube-system');
  });

  it('running it again uploads nothing and leaves the running service alone', async () => {
    const before = await serviceStatus(shell, CONTROL_PLANE_SERVICE, { layout: layout() });
    const result = await installControlPlane(shell, options());
    expect(result).toEqual({ mode: 'supervised', filesUploaded: 0, bytesUploaded: 0, serviceChanged: false });
    expect((await serviceStatus(shell, CONTROL_PLANE_SERVICE, { layout: layout() })).pid).toBe(before.pid);
  });

  it('a new API address re-issues the serving certificate, uploads just it, and restarts', async () => {
    const before = await serviceStatus(shell, CONTROL_PLANE_SERVICE, { layout: layout() });
    pki = loadOrCreateClusterPki({
      cluster: 'cp',
      dir: join(dir, 'state', 'pki'),
      apiAltNames: ['127.0.0.1', 'api.cp.test'],
    });
    const result = await installControlPlane(shell, options());
    expect(result.filesUploaded).toBe(2);
    expect(result.serviceChanged).toBe(true);
    expect(await waitGone(before.childPid!)).toBe(true);
    await waitForHealthy(`${server()}/readyz`, { caPem: pki.ca.certPem, timeoutMs: 60_000, intervalMs: 250 });
    expect((await servedCertificate()).checkHost('api.cp.test')).toBe('api.cp.test');
  });

  it('no private key appeared in any command line or event', () => {
    const secrets = [pki.ca.keyPem, pki.apiServer.keyPem, pki.apiServerClient.keyPem, pki.admin.keyPem];
    const lines = secrets.flatMap((k) =>
      k.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')),
    );
    const seen = [...shell.commands, ...events.events.map((e) => JSON.stringify(e))].join('\n');
    expect(shell.commands.length).toBeGreaterThan(5);
    for (const line of lines) expect(seen).not.toContain(line);
  });

  it('uninstall leaves no process and no tugboat directory', async () => {
    const status = await serviceStatus(shell, CONTROL_PLANE_SERVICE, { layout: layout() });
    await uninstallHost(shell, {
      layout: layout(),
      services: [CONTROL_PLANE_SERVICE],
      serviceRules: false,
      podNetwork: false,
    });
    expect(await waitGone(status.pid!)).toBe(true);
    expect(await waitGone(status.childPid!)).toBe(true);
    for (const d of layoutDirectories(layout())) expect(existsSync(d)).toBe(false);
    await expect(
      waitForHealthy(`${server()}/healthz`, { caPem: pki.ca.certPem, timeoutMs: 300, intervalMs: 100 }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
