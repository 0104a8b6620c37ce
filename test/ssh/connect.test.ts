import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingEvents } from '../../src/events.js';
import { connectSsh, type SshConnectOptions } from '../../src/ssh/connect.js';
import { HostKeyError, SshConnectError } from '../../src/ssh/errors.js';
import { fingerprint, parsePublicKeyLine } from '../../src/ssh/known-hosts.js';
import { freePort, type StartedProcess, startProcess } from '../harness/process.js';
import { generateSshKey, type Sshd, startSshd } from '../harness/sshd.js';

let dir: string;
let sshd: Sshd;
let n = 0;
const knownHosts = (text?: string) => {
  const path = join(dir, `known_hosts_${n++}`);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};
const base = (over: Partial<SshConnectOptions> & Pick<SshConnectOptions, 'hostKeys'>): SshConnectOptions => ({
  host: sshd.host,
  port: sshd.port,
  username: sshd.username,
  privateKeyPath: sshd.clientKey.privateKeyPath,
  retry: { attempts: 1 },
  ...over,
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-connect-${process.pid}-`));
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('host key verification against a real sshd', () => {
  it('refuses an unknown host and records nothing', async () => {
    const path = knownHosts();
    const err = await failure(connectSsh(base({ hostKeys: { knownHostsPath: path } })));
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).problem).toBe('unknown');
    expect((err as Error).message).toContain(`[127.0.0.1]:${sshd.port}`);
    expect((err as Error).message).toContain(fingerprint(parsePublicKeyLine(sshd.hostKey.publicKey).key));
    expect(existsSync(path)).toBe(false);
  });

  it('trusts a new host only when asked, records it, and knows it next time', async () => {
    const path = knownHosts();
    const events = new RecordingEvents();
    const shell = await connectSsh(base({ hostKeys: { knownHostsPath: path, trustNewHosts: true }, events }));
    await expect(shell.exec('echo hi')).resolves.toMatchObject({ stdout: 'hi\n' });
    await shell.close();
    expect(events.codes()).toContain('ssh.host-key.recorded');
    expect(readFileSync(path, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
    const again = await connectSsh(base({ hostKeys: { knownHostsPath: path } }));
    await again.close();
  });

  it('accepts a host listed in a known_hosts file hashed by ssh-keygen -H', async () => {
    const path = knownHosts(`[127.0.0.1]:${sshd.port} ${sshd.hostKey.publicKey}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', path], { stdio: 'ignore' });
    const shell = await connectSsh(base({ hostKeys: { knownHostsPath: path } }));
    await shell.close();
  });

  it('a changed host key is a hard error naming the host and both fingerprints, even with trustNewHosts', async () => {
    const impostor = generateSshKey(join(dir, 'impostor'), 'key');
    const path = knownHosts(`[127.0.0.1]:${sshd.port} ${impostor.publicKey}\n`);
    const err = await failure(connectSsh(base({ hostKeys: { knownHostsPath: path, trustNewHosts: true } })));
    expect(err).toBeInstanceOf(HostKeyError);
    const message = (err as Error).message;
    expect(message).toContain(`host key of [127.0.0.1]:${sshd.port} changed`);
    expect(message).toContain(fingerprint(parsePublicKeyLine(impostor.publicKey).key));
    expect(message).toContain(fingerprint(parsePublicKeyLine(sshd.hostKey.publicKey).key));
    expect(readFileSync(path, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${impostor.publicKey}\n`);
  });
});

describe('authentication', () => {
  it('a refused key fails at once with a clear error (no retries)', async () => {
    const stranger = generateSshKey(join(dir, 'stranger'), 'key');
    const err = await failure(
      connectSsh(
        base({
          privateKeyPath: stranger.privateKeyPath,
          retry: { attempts: 5, initialDelayMs: 5_000 },
          hostKeys: { knownHostsPath: knownHosts(), pinnedHostKeys: [sshd.hostKey.publicKey] },
        }),
      ),
    );
    expect(err).toBeInstanceOf(SshConnectError);
    expect((err as SshConnectError).code).toBe('SSH_AUTH_FAILED');
    expect((err as SshConnectError).attempts).toBe(1);
    expect((err as Error).message).toContain(`${sshd.username}@127.0.0.1 refused our key`);
  });

  it('logs in with a key held by a real ssh-agent', async () => {
    const sock = join(dir, 'agent.sock');
    const agent: StartedProcess = await startProcess('ssh-agent', ['-D', '-a', sock], {
      ready: async () => existsSync(sock),
    });
    try {
      execFileSync('ssh-add', [sshd.clientKey.privateKeyPath], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
        stdio: 'ignore',
      });
      const shell = await connectSsh(
        base({
          privateKeyPath: undefined,
          agent: sock,
          hostKeys: { knownHostsPath: knownHosts(), pinnedHostKeys: [sshd.hostKey.publicKey] },
        }),
      );
      await expect(shell.exec('echo via-agent')).resolves.toMatchObject({ stdout: 'via-agent\n' });
      await shell.close();
    } finally {
      await agent.stop();
    }
  });
});

describe('connect retries', () => {
  it('retries with back-off until a booting host starts listening', async () => {
    const port = await freePort();
    const events = new RecordingEvents();
    const hostKey = generateSshKey(join(dir, 'late'), 'host');
    const connecting = connectSsh(
      base({
        port,
        events,
        retry: { attempts: 30, initialDelayMs: 200, maxDelayMs: 1_000 },
        hostKeys: { knownHostsPath: knownHosts(), pinnedHostKeys: [hostKey.publicKey] },
      }),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const late = await startSshd({ port, hostKey, clientKey: sshd.clientKey });
    try {
      const shell = await connecting;
      await expect(shell.exec('echo up')).resolves.toMatchObject({ stdout: 'up\n' });
      await shell.close();
      const retries = events.events.filter((e) => e.code === 'ssh.connect.retry');
      expect(retries.length).toBeGreaterThan(0);
      const delays = retries.map((e) => (e.data as { delayMs: number }).delayMs);
      expect(delays[0]).toBe(200);
      expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
    } finally {
      await late.stop();
    }
  });

  it('gives up after the configured attempts with an actionable error', async () => {
    const port = await freePort();
    const err = await failure(
      connectSsh(
        base({
          port,
          retry: { attempts: 3, initialDelayMs: 50 },
          hostKeys: { knownHostsPath: knownHosts(), trustNewHosts: true },
        }),
      ),
    );
    expect(err).toBeInstanceOf(SshConnectError);
    expect((err as SshConnectError).code).toBe('SSH_UNREACHABLE');
    expect((err as SshConnectError).attempts).toBe(3);
    expect((err as Error).message).toContain(`after 3 attempts`);
  });
});

describe('jump host', () => {
  let bastion: Sshd;
  let target: Sshd;
  beforeAll(async () => {
    bastion = await startSshd({ logLevel: 'DEBUG1' });
    target = await startSshd({ listenAddress: '127.0.0.2', clientKey: bastion.clientKey });
  });
  afterAll(async () => {
    await target?.stop();
    await bastion?.stop();
  });

  it('reaches the target through the bastion, checking both host keys', async () => {
    const path = knownHosts();
    const jumpHost = {
      host: bastion.host,
      port: bastion.port,
      username: bastion.username,
      privateKeyPath: bastion.clientKey.privateKeyPath,
    };
    const err = await failure(
      connectSsh({
        host: target.host,
        port: target.port,
        username: target.username,
        privateKeyPath: target.clientKey.privateKeyPath,
        jumpHost,
        retry: { attempts: 1 },
        hostKeys: { knownHostsPath: path, pinnedHostKeys: [target.hostKey.publicKey] },
      }),
    );
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).host).toBe(`[127.0.0.1]:${bastion.port}`);

    const shell = await connectSsh({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKeyPath: target.clientKey.privateKeyPath,
      jumpHost,
      retry: { attempts: 1 },
      hostKeys: {
        knownHostsPath: path,
        pinnedHostKeys: [target.hostKey.publicKey, bastion.hostKey.publicKey],
      },
    });
    const r = await shell.exec('echo "$SSH_CONNECTION"');
    await shell.close();
    expect(r.stdout.split(' ')[2]).toBe('127.0.0.2');
    expect(bastion.process.output()).toMatch(
      new RegExp(`direct_tcpip: originator .* target 127\\.0\\.0\\.2 port ${target.port}`),
    );
    const recorded = readFileSync(path, 'utf8');
    expect(recorded).toContain(`[127.0.0.2]:${target.port} `);
    expect(recorded).toContain(`[127.0.0.1]:${bastion.port} `);
  });
});
