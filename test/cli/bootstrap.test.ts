import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sshd, startSshd } from '../harness/sshd.js';
import { runCli } from '../support/cli.js';

// The CLI wiring of `tugboat bootstrap/uninstall --inventory`: flags, output, exit codes and errors.
// A successful install is tested through the library (test/bootstrap/bootstrap-inventory.test.ts),
// which can give each simulated host its own layout root; the CLI always uses the real one.
let dir: string;
let sshd: Sshd;
let bundlePath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-cli-bootstrap-${process.pid}-`));
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  bundlePath = join(dir, 'bundles', manifest.file);
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tugboat bootstrap / uninstall --inventory', () => {
  it('reports a refused login per host, exits 4, and never merges a kubeconfig', async () => {
    const keyDir = join(dir, 'wrong');
    execFileSync('mkdir', ['-p', keyDir]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id')]);
    const inventory = join(dir, 'hosts.yaml');
    writeFileSync(
      inventory,
      [
        'cluster: cli',
        `ssh: { user: ${sshd.username}, privateKeyFile: wrong/id }`,
        'runtime: process',
        'hosts:',
        `  - { name: m1, address: 127.0.0.1, port: ${sshd.port}, role: master, hostKey: "${sshd.hostKey.publicKey}" }`,
      ].join('\n'),
    );
    const kubeconfig = join(dir, 'kube', 'config');
    const r = await runCli(
      ['--output', 'json', 'bootstrap', '--inventory', 'hosts.yaml', '--bundle', bundlePath, '--yes'],
      {
        cwd: dir,
        env: { ...process.env, TUGBOAT_STATE_DIR: join(dir, 'state'), KUBECONFIG: kubeconfig },
      },
    );
    expect(r.code).toBe(4);
    const out = JSON.parse(r.stdout);
    expect(out.hosts).toEqual([
      { host: 'm1', ok: false, error: expect.stringContaining('m1 refused our key'), ms: expect.any(Number) },
    ]);
    expect(out.kubeconfig).toBeNull();
    expect(existsSync(kubeconfig)).toBe(false);
    expect(readFileSync(join(dir, 'state', 'cli', 'known_hosts'), 'utf8')).toContain(
      `[127.0.0.1]:${sshd.port} ssh-ed25519`,
    );
  });

  it('offers --force to reinstall hosts that already have this bundle and configuration', async () => {
    const r = await runCli(['bootstrap', '--help'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--force\s+reinstall even where the host already has this bundle/);
  });

  it('explains a bad inventory with the field path and exit code 2', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'cluster: cli\nhosts:\n  - { name: w, address: 127.0.0.1, role: worker }\n',
    );
    const r = await runCli(['bootstrap', '--inventory', 'bad.yaml', '--bundle', bundlePath], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hosts: has 0 masters: mark exactly one host with role: master');
  });

  it('uninstall asks first and refuses without a terminal unless --yes', async () => {
    const r = await runCli(['uninstall', '--inventory', 'hosts.yaml'], {
      cwd: dir,
      env: { ...process.env, TUGBOAT_STATE_DIR: join(dir, 'state') },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes to confirm');
  });

  it('lists bootstrap and uninstall in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/bootstrap \[options\]/);
    expect(r.stdout).toMatch(/uninstall \[options\]/);
  });
});
